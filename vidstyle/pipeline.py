"""Stage wiring for files: reader thread -> batched stylizer -> temporal thread -> writer thread.

Bounded queues give back-pressure; no frame is ever dropped or duplicated and timestamps pass through.
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np

from .errors import VidstyleError
from .progress import Progress
from .sinks import VideoFileSink
from .sources import FileSource, Frame

_END = object()


@dataclass
class RunStats:
    frames: int
    seconds: float
    fps: float


def processing_size(h: int, w: int, short: int | None) -> tuple[int, int]:
    """(H, W) scaled so the short side is ``short`` (unchanged when None)."""
    if not short or min(h, w) == short:
        return h, w
    s = short / min(h, w)
    return max(1, round(h * s)), max(1, round(w * s))


class _Worker(threading.Thread):
    """A daemon thread that records its exception instead of dying silently, and sets ``stop`` when it
    fails so that no other stage waits for it forever."""

    def __init__(self, target, name: str, stop: threading.Event):
        super().__init__(name=name, daemon=True)
        self._fn, self._halt, self.error = target, stop, None

    def run(self) -> None:
        try:
            self._fn()
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            self.error = e
            self._halt.set()


def _put(q: queue.Queue, item, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _get(q: queue.Queue, stop: threading.Event):
    while not stop.is_set():
        try:
            return q.get(timeout=0.1)
        except queue.Empty:
            continue
    return _END


def stylize_file(source: FileSource, sink: VideoFileSink, stylizer, temporal=None, batch: int = 4,
                 quiet: bool = False) -> RunStats:
    """Run the whole file through ``stylizer`` (and ``temporal``) into ``sink``; closes the sink on success,
    aborts it (removing the partial file) on any error or interrupt."""
    stop = threading.Event()
    q_in: queue.Queue = queue.Queue(maxsize=batch * 3)
    q_mid: queue.Queue = queue.Queue(maxsize=batch * 3)
    q_out: queue.Queue = queue.Queue(maxsize=batch * 3)
    out_hw = sink.requested[::-1]
    prog = Progress(source.info.frames or None, "frames", quiet=quiet)

    def read() -> None:
        for kind, item in source.items(audio=sink.audio_mode):
            if kind == "audio":
                sink.audio(item)
            elif not _put(q_in, item, stop):
                return
        _put(q_in, _END, stop)

    def finish() -> None:  # the temporal stage overlaps the next batch's stylization
        while (item := _get(q_mid, stop)) is not _END:
            f, y, proc = item
            f.rgb = finish_frame(temporal, f.rgb, y, proc, out_hw)
            if not _put(q_out, f, stop):
                return
        _put(q_out, _END, stop)

    def write() -> None:
        while (frame := _get(q_out, stop)) is not _END:
            sink.write(frame)
            prog.update(1)

    workers = [_Worker(read, "vidstyle-reader", stop), _Worker(finish, "vidstyle-temporal", stop),
               _Worker(write, "vidstyle-writer", stop)]
    t0 = time.monotonic()
    for w in workers:
        w.start()
    try:
        done, held = False, None
        while not done:
            frames: list[Frame] = [held] if held is not None else []
            held = None
            while len(frames) < batch:
                item = _get(q_in, stop)
                if item is _END:
                    done = True
                    break
                if frames and item.rgb.shape != frames[0].rgb.shape:
                    held = item  # the size changed mid-stream: start a new batch
                    break
                frames.append(item)
                if q_in.empty():
                    break  # don't wait for a full batch when the reader is behind
            _raise_if_failed(*workers)
            if frames:
                proc = processing_size(*frames[0].rgb.shape[:2], stylizer.size)
                styl = stylizer(np.stack([f.rgb for f in frames]), out_hw=proc)
                for f, y in zip(frames, styl):
                    if not _put(q_mid, (f, y, proc), stop):
                        break
        _put(q_mid, _END, stop)
        workers[2].join()
        _raise_if_failed(*workers)
        if sink.frames == 0:
            raise VidstyleError(f"input has no decodable video frames: {source.path}")
        sink.close()
    except BaseException:
        stop.set()
        for w in workers:
            w.join(timeout=5)
        sink.abort()
        raise
    finally:
        prog.close()
        source.close()
    seconds = time.monotonic() - t0
    return RunStats(sink.frames, seconds, sink.frames / max(seconds, 1e-9))


def finish_frame(temporal, rgb: np.ndarray, y: np.ndarray, proc_hw: tuple[int, int],
                 out_hw: tuple[int, int]) -> np.ndarray:
    """One stylized frame y (proc_hw + (3,), uint8) of input ``rgb`` (H, W, 3): the temporal stage (on the
    input resized to proc_hw), then resized to ``out_hw`` (H, W)."""
    if temporal is not None:
        small = rgb if rgb.shape[:2] == proc_hw else cv2.resize(rgb, proc_hw[::-1], interpolation=cv2.INTER_AREA)
        y = temporal(small, y)
    return y if out_hw == proc_hw else cv2.resize(y, out_hw[::-1], interpolation=cv2.INTER_LINEAR)


def stylize_frames(stylizer, temporal, frames: list[Frame], proc_hw: tuple[int, int],
                   out_hw: tuple[int, int]) -> list[np.ndarray]:
    """Stylize a batch at ``proc_hw``, apply the temporal stage per frame, resize to ``out_hw`` (H, W)."""
    styl = stylizer(np.stack([f.rgb for f in frames]), out_hw=proc_hw)
    return [finish_frame(temporal, f.rgb, y, proc_hw, out_hw) for f, y in zip(frames, styl)]


def _raise_if_failed(*workers: _Worker) -> None:
    for w in workers:
        if w.error is not None:
            raise w.error
