"""Live outputs of `vidstyle webcam`: recording, MPEG-TS network stream, virtual camera.

Each output runs in its own worker thread behind a one-slot latest-wins queue: the live loop's
``submit(frame)`` never blocks, and an output slower than the model drops frames (``dropped``) instead of
stalling the model or the other outputs. Frames are ``Frame`` objects with RGB uint8 (H, W, 3) and a
monotonic ``t_capture``. ``close()`` delivers the last frame, joins the thread and only then finishes the
output (a recording is always finalized).
"""
from __future__ import annotations

import collections
import logging
import platform
import threading
import time
from fractions import Fraction

import av
import cv2
import numpy as np

from ..errors import VidstyleError
from ..media.encode import even, live_encoder
from ..media.files import check_output_path, container_format
from ..media.frame import Frame, VideoInfo
from ..media.writer import VideoFileSink
from ..runtime.stages import Latest, Worker, join_all
from .stamp import stamp

log = logging.getLogger("vidstyle")
MS = Fraction(1, 1000)
KEEP = 100_000  # latency samples kept per output (the most recent ones)
RECORD_CRF = 20
RECORD_PRESET = "veryfast"
# Send each frame at once (no waiting for a full I/O buffer) and write video PES lengths, so a receiver can
# hand a frame on as soon as its last packet arrives instead of at the start of the next frame.
MPEGTS_OPTIONS = {"flush_packets": "1", "omit_video_pes_length": "0"}
UDP_PACKET = 1316  # 7 MPEG-TS packets of 188 bytes
VIRTUAL_CAM_SIZE = (1280, 720)


def wall_ms(t_capture: float) -> int:
    """A monotonic capture time as wall-clock milliseconds since the Unix epoch."""
    return round((time.time() - (time.monotonic() - t_capture)) * 1000)


class Receiver:
    """Where the live loop hands frames: a latest-wins slot (``submit`` never blocks) and the delivery
    statistics ``sent``, ``dropped`` and ``latencies`` (seconds from capture to delivered, the last KEEP).
    ``deliver(frame)`` calls ``send`` and counts."""

    name = "output"

    def __init__(self):
        self.slot = Latest()
        self.sent, self.latencies = 0, collections.deque(maxlen=KEEP)

    @property
    def dropped(self) -> int:
        return self.slot.dropped

    def submit(self, frame: Frame) -> None:
        self.slot.put(frame)

    def deliver(self, frame: Frame) -> None:
        self.send(frame)
        self.sent += 1
        self.latencies.append(time.monotonic() - frame.t_capture)

    def send(self, frame: Frame) -> None:
        raise NotImplementedError


class Output(Receiver):
    """A receiver with its own worker thread calling ``send(frame)``. An exception in ``send`` ends the thread,
    is kept in ``error`` and sets the run's ``stop`` event. ``close()`` delivers the last unread frame, joins
    the thread and then calls ``finish()`` (once)."""

    def __init__(self):
        super().__init__()
        self.worker: Worker | None = None

    @property
    def error(self) -> BaseException | None:
        return self.worker.error if self.worker else None

    def start(self, stop: threading.Event | None = None) -> None:
        self.worker = Worker(self._run, f"vidstyle-{self.name}", stop or threading.Event())
        self.worker.start()

    def _run(self) -> None:
        while (frame := self.slot.get()) is not None:
            self.deliver(frame)

    def close(self) -> None:
        self.slot.close()
        join_all([self.worker] if self.worker else [], raise_error=False)
        self.finish()

    def finish(self) -> None:
        """Release what the output holds (called once, after its thread ended)."""


class RecordOutput(Output):
    """H.264 file of the live output (``VideoFileSink``), timestamps in ms from the capture clock so pauses and
    a variable frame rate play back in real time. The file appears (renamed from a temporary name) only
    when ``close()`` finalizes it, also after Ctrl-C."""

    name = "record"

    def __init__(self, path: str, fps: float, overwrite: bool = False):
        super().__init__()
        if container_format(path) is None:
            raise VidstyleError(f"--record {path}: use a .mp4, .mkv, .mov or .webm file name")
        check_output_path(path, overwrite)
        self.path, self.fps = path, Fraction(fps).limit_denominator(1001)
        self.sink, self.t0, self.last_pts = None, 0.0, -1

    def send(self, frame: Frame) -> None:
        if self.sink is None:
            h, w = frame.rgb.shape[:2]
            info = VideoInfo(w, h, self.fps, MS, 0, 0, None)
            self.sink = VideoFileSink(self.path, info, crf=RECORD_CRF, preset=RECORD_PRESET)
            self.t0 = frame.t_capture
        self.last_pts = max(self.last_pts + 1, round((frame.t_capture - self.t0) * 1000))
        self.sink.write(Frame(frame.rgb, self.last_pts, MS))

    def finish(self) -> None:
        if self.sink is None:
            return
        if self.error is not None or self.sink.frames == 0:
            self.sink.abort()
            return
        try:
            self.sink.close()
        except BaseException:
            self.sink.abort()
            raise


def stream_url(url: str) -> str:
    """UDP URLs get MPEG-TS sized packets (7 x 188 bytes) unless they choose their own."""
    if url.startswith("udp://") and "pkt_size=" not in url:
        return url + ("&" if "?" in url else "?") + f"pkt_size={UDP_PACKET}"
    return url


class StreamOutput(Output):
    """MPEG-TS over ``url`` (udp://host:port; tcp:// and srt:// where PyAV's FFmpeg has them): H.264 yuv420p
    from libx264 with preset ultrafast, tune zerolatency, no B-frames and a keyframe every second, so a
    receiver can join at any time and sees little delay. PTS are the capture times (ms) from the first frame,
    so the receiver plays in real time. With ``stamp_time`` each frame carries the sender's wall-clock capture
    time (see vidstyle.live.stamp)."""

    name = "stream"

    def __init__(self, url: str, fps: float, stamp_time: bool = False):
        super().__init__()
        self.url, self.fps, self.stamp_time = url, fps, stamp_time
        try:
            self.out = av.open(stream_url(url), "w", format="mpegts", container_options=MPEGTS_OPTIONS)
        except (av.error.FFmpegError, ValueError) as e:
            raise VidstyleError(f"--stream {url}: {e}") from None
        self.video, self.t0, self.last_pts = None, 0.0, -1

    def send(self, frame: Frame) -> None:
        if self.video is None:
            size = (even(frame.rgb.shape[1]), even(frame.rgb.shape[0]))
            self.video, self.t0 = live_encoder(self.out, size, self.fps, MS), frame.t_capture
        rgb = stamp(frame.rgb.copy(), wall_ms(frame.t_capture)) if self.stamp_time else frame.rgb
        self.last_pts = max(self.last_pts + 1, round((frame.t_capture - self.t0) * 1000))
        try:
            self.video.encode(rgb, self.last_pts, MS)
        except av.error.ProtocolNotFoundError:
            raise VidstyleError(f"--stream {self.url}: PyAV's FFmpeg cannot send to {self.url.split(':')[0]}:// "
                                "(its PyPI wheels have no SRT); use udp://") from None
        except av.error.FFmpegError as e:
            raise VidstyleError(f"--stream {self.url}: {e.strerror or e}") from None

    def finish(self) -> None:
        try:
            if self.video is not None and self.error is None:
                self.video.flush()
        finally:
            self.out.close()


def letterbox(rgb: np.ndarray, w: int, h: int) -> np.ndarray:
    """RGB (H, W, 3) scaled to fit (h, w) keeping its aspect ratio, centred on black: (h, w, 3) uint8."""
    ih, iw = rgb.shape[:2]
    s = min(w / iw, h / ih)
    nw, nh = min(w, max(1, round(iw * s))), min(h, max(1, round(ih * s)))
    canvas = np.zeros((h, w, 3), np.uint8)
    x, y = (w - nw) // 2, (h - nh) // 2
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    canvas[y: y + nh, x: x + nw] = cv2.resize(rgb, (nw, nh), interpolation=interp) if (nw, nh) != (iw, ih) else rgb
    return canvas


def rgb_to_i420(rgb: np.ndarray) -> np.ndarray:
    """RGB (h, w, 3) with even h, w -> I420 planes Y, U, V as uint8 (h * 3 // 2, w)."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)


def virtual_cam_hint() -> str:
    if platform.system() == "Linux":
        return ("load the v4l2loopback kernel module (package v4l2loopback-dkms): "
                "sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label=vidstyle")
    return "install OBS Studio and start its virtual camera once (Tools > Start Virtual Camera)"


class VirtualCamOutput(Output):
    """A virtual camera through pyvirtualcam (optional extra ``vidstyle[virtualcam]``) at a fixed ``size``
    (W, H), default 1280x720, so meeting apps see a stable mode; frames are letterboxed into it. I420 on Linux
    (v4l2loopback's native format, no conversion in the backend), RGB elsewhere. ``backend`` picks a
    pyvirtualcam backend by name (None: the first that works)."""

    name = "virtual-cam"

    def __init__(self, size: tuple[int, int] = VIRTUAL_CAM_SIZE, fps: float = 30.0, backend: str | None = None):
        super().__init__()
        try:
            import pyvirtualcam
        except ImportError:
            raise VidstyleError("--virtual-cam needs pyvirtualcam: pip install 'vidstyle[virtualcam]', then "
                                + virtual_cam_hint()) from None
        self.w, self.h = even(size[0]), even(size[1])
        self.i420 = platform.system() == "Linux"
        fmt = pyvirtualcam.PixelFormat.I420 if self.i420 else pyvirtualcam.PixelFormat.RGB
        try:
            self.cam = pyvirtualcam.Camera(self.w, self.h, fps, fmt=fmt, backend=backend)
        except Exception as e:  # noqa: BLE001 - pyvirtualcam raises RuntimeError/ValueError per backend
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise VidstyleError(f"--virtual-cam: no virtual camera device ({first}); {virtual_cam_hint()}") from None

    def send(self, frame: Frame) -> None:
        img = letterbox(frame.rgb, self.w, self.h)
        self.cam.send(rgb_to_i420(img) if self.i420 else img)

    def finish(self) -> None:
        self.cam.close()
