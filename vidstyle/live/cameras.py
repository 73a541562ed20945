"""Live frame sources: camera readers and the capture thread that keeps only the newest frame.

A reader has ``open() -> bool``, ``read() -> RGB uint8 (H, W, 3) or None``, ``release()``, a ``name`` and
``live``: a live reader (camera device, stream URL) that stops giving frames is reopened by the capture
thread; a file or synthetic reader ends the capture at its end.
"""
from __future__ import annotations

import logging
import os
import threading
import time

import cv2
import numpy as np

from ..errors import VidstyleError
from ..media.frame import Frame
from ..runtime.stages import Latest, Worker, join_all

log = logging.getLogger("vidstyle")
RETRY_S = 10.0  # how long a lost live camera is retried
RETRY_EVERY_S = 1.0
FILE_FPS = 30.0  # the pace of a video file that states no frame rate
SYNTHETIC_PAN = 64  # the synthetic camera's pattern moves diagonally over this many pixels, then repeats
PICK_ANOTHER = ("pick another with --camera 1, --camera /dev/video2, a stream URL, or a video file as in "
                "--camera clip.mp4")


class Pacer:
    """``wait()`` returns at ``fps`` on average, as a camera delivers frames; after a stall it does not burst."""

    def __init__(self, fps: float):
        self.period, self.due = 1.0 / fps, None

    def wait(self) -> None:
        now = time.monotonic()
        if self.due is None or now > self.due + self.period:
            self.due = now
        elif now < self.due:
            time.sleep(self.due - now)
        self.due += self.period


class CvCamera:
    """cv2.VideoCapture of ``spec``: a device index ("0"), a device path (/dev/video2), a URL (rtsp://...) or a
    video file. Devices get ``resolution`` (W, H) and ``fps`` requested and a one-frame driver buffer; a file
    plays at its own frame rate and ends at its end (it is not looped)."""

    def __init__(self, spec: str, resolution: tuple[int, int] | None = None, fps: float | None = None):
        self.spec, self.resolution, self.fps = spec, resolution, fps
        self.live = spec.isdigit() or spec.startswith("/dev/") or "://" in spec
        self.name = f"camera {spec}" if self.live else spec
        self.cap, self.pacer = None, None

    def open(self) -> bool:
        self.release()
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # a missing camera is our one line
        try:
            cap = cv2.VideoCapture(int(self.spec) if self.spec.isdigit() else self.spec)
        finally:
            cv2.utils.logging.setLogLevel(level)
        if not cap.isOpened():
            cap.release()
            return False
        if self.live:
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
            if self.resolution:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.resolution[0])
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.resolution[1])
            if self.fps:
                cap.set(cv2.CAP_PROP_FPS, self.fps)
        else:
            self.pacer = Pacer(cap.get(cv2.CAP_PROP_FPS) or FILE_FPS)
        self.cap = cap
        return True

    def mode(self) -> str:
        """What the camera actually delivers, e.g. '640x480 at 30 fps'."""
        w, h = int(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        return f"{w}x{h} at {self.cap.get(cv2.CAP_PROP_FPS):.3g} fps"

    def read(self) -> np.ndarray | None:
        if self.cap is None:
            return None
        if self.pacer is not None:
            self.pacer.wait()
        ok, bgr = self.cap.read()
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if ok else None

    def release(self) -> None:
        if self.cap is not None:
            self.cap.release()
            self.cap = None


def open_camera(spec: str, resolution: tuple[int, int] | None = None, fps: float | None = None) -> CvCamera:
    """An opened CvCamera, or a one-line VidstyleError saying how to pick another camera."""
    cam = CvCamera(spec, resolution, fps)
    if not cam.live and not os.path.isfile(spec):
        raise VidstyleError(f"--camera {spec}: no such camera or file ({PICK_ANOTHER})")
    if not cam.open():
        what = "cannot read this file as video" if not cam.live else "no camera there, or it is busy"
        raise VidstyleError(f"cannot open --camera {spec}: {what} ({PICK_ANOTHER})")
    return cam


class SyntheticCamera:
    """A moving colour pattern of ``size`` (W, H) at ``fps``, paced like a camera; ends after ``frames``
    frames when given. Opened on creation. For benchmarks and tests."""

    live = False
    name = "synthetic camera"

    def __init__(self, size: tuple[int, int] = (640, 480), fps: float = 30.0, frames: int | None = None):
        w, h = size
        y, x = np.mgrid[0: h + SYNTHETIC_PAN, 0: w + SYNTHETIC_PAN].astype(np.float32)
        rgb = np.stack([np.sin(x / 9.0), np.cos(y / 7.0), np.sin((x + y) / 13.0)], -1)
        self.base = (127 + 100 * rgb).astype(np.uint8)
        self.size, self.fps, self.frames = size, fps, frames
        self.open()

    def open(self) -> bool:
        self.pacer, self.count = Pacer(self.fps), 0
        return True

    def read(self) -> np.ndarray | None:
        if self.pacer is None or (self.frames is not None and self.count >= self.frames):
            return None
        self.pacer.wait()
        k = self.count % SYNTHETIC_PAN
        self.count += 1
        return np.ascontiguousarray(self.base[k: k + self.size[1], k: k + self.size[0]])

    def release(self) -> None:
        self.pacer = None


class Capture:
    """Reads ``reader`` in its own worker thread into a latest-wins slot; ``get()`` returns the newest Frame
    (with its monotonic ``t_capture``) and ``dropped`` counts frames replaced before the model took them. A
    live reader that stops giving frames is reopened every second for up to ``retry_s`` seconds.
    ``message`` says why the capture ended (empty while running or when stopped)."""

    def __init__(self, reader, retry_s: float = RETRY_S):
        self.reader, self.retry_s = reader, retry_s
        self.slot = Latest()
        self.frames, self.message = 0, ""
        self.worker: Worker | None = None
        self._stop = threading.Event()

    @property
    def dropped(self) -> int:
        return self.slot.dropped

    @property
    def error(self) -> BaseException | None:
        return self.worker.error if self.worker else None

    @property
    def done(self) -> bool:
        return self.worker is not None and not self.worker.is_alive()

    def start(self, stop: threading.Event | None = None) -> None:
        """Start capturing; ``stop`` (the run's shared event) ends it, and is set if the capture fails."""
        self._stop = stop or self._stop
        self.worker = Worker(self._run, "vidstyle-capture", self._stop)
        self.worker.start()

    def get(self, timeout: float | None = None) -> Frame | None:
        return self.slot.get(timeout)

    def stop(self) -> None:
        """Stop, join the capture thread, then release the reader."""
        self._stop.set()
        join_all([self.worker] if self.worker else [], raise_error=False)
        self.reader.release()

    def _emit(self, rgb: np.ndarray) -> None:
        self.slot.put(Frame(rgb, index=self.frames, t_capture=time.monotonic()))
        self.frames += 1

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                rgb = self.reader.read()
                if rgb is not None:
                    self._emit(rgb)
                elif not self.reader.live:
                    self.message = f"end of {self.reader.name}"
                    break
                elif not self._reconnect():
                    break
        finally:
            self.slot.close()

    def _reconnect(self) -> bool:
        log.warning("%s lost: retrying every second for up to %g s", self.reader.name, self.retry_s)
        deadline = time.monotonic() + self.retry_s
        while not self._stop.wait(RETRY_EVERY_S):
            if self.reader.open() and (rgb := self.reader.read()) is not None:
                log.warning("%s is back", self.reader.name)
                self._emit(rgb)
                return True
            if time.monotonic() >= deadline:
                self.message = f"{self.reader.name} lost and not back after {self.retry_s:g} s"
                return False
        return False
