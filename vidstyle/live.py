"""The live loop of `vidstyle webcam`: capture thread -> stylizer (+ temporal) -> outputs, latest wins throughout.

Threads: the capture thread keeps only the newest camera frame; a model thread stylizes the newest frame, one
at a time (batch 1: latency before throughput); each output has its own thread and a one-slot latest-wins
queue. So nothing queues up anywhere: when the model is slower than the camera, camera frames are dropped
and the latency stays one model call plus at most one frame interval. The preview window, if any, is pumped
by the calling (main) thread, which also turns its hotkeys into ``Controls`` state that the model thread
reads before each frame.
"""
from __future__ import annotations

import collections
import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from .controls import Controls
from .outputs import KEEP
from .pipeline import processing_size, stylize_frames
from .sources import Frame

log = logging.getLogger("vidstyle")


def percentile_ms(seconds, q: float) -> float:
    """The q-th percentile of a sequence of seconds, in ms (nan when empty)."""
    return float(np.percentile(seconds, q) * 1000) if seconds else float("nan")


@dataclass
class LiveStats:
    """Frames stylized, their rate, capture-to-output latency (ms, measured when the stylized frame is handed
    to the outputs; over the last KEEP frames), camera frames dropped, per-output stats and why it ended."""

    frames: int
    seconds: float
    fps: float
    latency_p50_ms: float
    latency_p95_ms: float
    camera_dropped: int
    outputs: dict = field(default_factory=dict)
    reason: str = ""

    def summary(self) -> str:
        line = (f"{self.frames} frames in {self.seconds:.1f} s, {self.fps:.1f} fps, capture->output latency "
                f"p50 {self.latency_p50_ms:.0f} ms p95 {self.latency_p95_ms:.0f} ms, "
                f"{self.camera_dropped} camera frames dropped")
        for name, o in self.outputs.items():
            line += f"; {name}: {o['sent']} sent, {o['dropped']} dropped, p50 {o['latency_p50_ms']:.0f} ms"
        return line + (f" ({self.reason})" if self.reason else "")


class LiveSession:
    """Wire ``capture`` (cameras.Capture), ``stylizer`` (a Stylizer), the pre-encoded ``styles`` [(name, code)],
    ``outputs`` (outputs.Output) and an optional ``preview`` (preview.PreviewWindow). ``temporal`` is the
    stage used while ``controls.temporal`` is on (None: never). ``run(duration)`` blocks until the camera
    ends, the user quits, ``duration`` seconds pass or Ctrl-C, closes everything and returns LiveStats."""

    def __init__(self, capture, stylizer, styles: list[tuple[str, tuple]] | None = None, outputs=(),
                 preview=None, controls: Controls | None = None, temporal=None):
        self.capture, self.stylizer, self.temporal, self.preview = capture, stylizer, temporal, preview
        self.styles = styles or [(stylizer.style_name, stylizer.style_code)]
        self.outputs = list(outputs)
        self.controls = controls or Controls([n for n, _ in self.styles], stylizer.strength, temporal is not None)
        self.frames = 0
        self.latencies: collections.deque = collections.deque(maxlen=KEEP)  # seconds, the most recent frames
        self.recent: collections.deque = collections.deque(maxlen=30)  # (done time, latency) for the overlay
        self.error: BaseException | None = None
        self._stop, self._finished = threading.Event(), threading.Event()
        self._applied = None  # (style index, temporal on, original) in use by the model thread

    def status(self) -> str:
        """One line for the preview overlay: fps, latency, style, strength, temporal, original."""
        c, rec = self.controls, list(self.recent)
        fps = (len(rec) - 1) / (rec[-1][0] - rec[0][0]) if len(rec) > 1 and rec[-1][0] > rec[0][0] else 0.0
        lat = 1000 * float(np.median([r[1] for r in rec])) if rec else 0.0
        mode = "original" if c.original else f"{c.style} {c.strength:.1f}" + (" temporal" if c.temporal else "")
        return f"{fps:.1f} fps {lat:.0f} ms | {mode}"

    def _apply_controls(self):
        """Bring the stylizer in line with the controls; returns the temporal stage to use (or None)."""
        c, st = self.controls, self.stylizer
        temporal_on = c.temporal and self.temporal is not None
        if (c.style_index, temporal_on, c.original) != self._applied:
            st.style_name, st.style_code = self.styles[c.style_index]
            if temporal_on:
                self.temporal.reset()  # no blending across a switch
            self._applied = (c.style_index, temporal_on, c.original)
        if st.strength != c.strength:
            st.strength = c.strength
        return self.temporal if temporal_on else None

    def process(self, frame: Frame) -> np.ndarray:
        """The output image for one camera frame: RGB uint8 of the frame's size."""
        temporal = self._apply_controls()
        if self.controls.original:
            return frame.rgb
        hw = frame.rgb.shape[:2]
        return stylize_frames(self.stylizer, temporal, [frame], processing_size(*hw, self.stylizer.size), hw)[0]

    def _model_loop(self) -> None:
        try:
            while not self._stop.is_set():
                frame = self.capture.get(timeout=0.1)
                if frame is None:
                    if self.capture.done:
                        return
                    continue
                out = Frame(self.process(frame), index=frame.index, t_capture=frame.t_capture)
                now = time.monotonic()
                self.frames += 1
                self.latencies.append(now - frame.t_capture)
                self.recent.append((now, now - frame.t_capture))
                for o in self.outputs + ([self.preview] if self.preview else []):
                    o.submit(out)
        except BaseException as e:  # noqa: BLE001 - re-raised by run()
            self.error = e
        finally:
            self._finished.set()

    def _watch(self, deadline: float | None) -> str:
        """The main thread's loop: preview, hotkeys, duration, output failures; returns why it ended.
        It waits on an Event, not Thread.join: a join interrupted by Ctrl-C can mark a running thread as
        finished (CPython 3.11), and the interpreter would then exit under a running model call."""
        while not self._finished.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                return "duration reached"
            failed = next((o for o in self.outputs if o.error is not None), None)
            if failed is not None:
                self.error = failed.error
                return f"{failed.name} failed"
            if self.preview is None:
                self._finished.wait(0.05)
                continue
            action = self.controls.handle_key(self.preview.pump(self.status()))
            if action == "quit":
                return "quit"
            if action == "snapshot" and (path := self.preview.snapshot()):
                log.warning("snapshot saved: %s", path)
        return self.capture.message

    def run(self, duration: float | None = None) -> LiveStats:
        worker = threading.Thread(target=self._model_loop, name="vidstyle-model", daemon=True)
        t0 = time.monotonic()
        reason = ""
        try:
            self.capture.start()
            for o in self.outputs:
                o.start()
            worker.start()
            reason = self._watch(None if duration is None else t0 + duration)
        except KeyboardInterrupt:
            reason = "interrupted"
        finally:
            self._stop.set()
            self.capture.stop()
            if worker.ident is not None:
                self._finished.wait()
            seconds = time.monotonic() - t0
            self._close_outputs()
        if self.error is None:
            self.error = self.capture.error
        if self.error is not None:
            raise self.error
        lat = self.latencies
        return LiveStats(self.frames, seconds, self.frames / max(seconds, 1e-9), percentile_ms(lat, 50),
                         percentile_ms(lat, 95), self.capture.dropped,
                         {o.name: {"sent": o.sent, "dropped": o.dropped,
                                   "latency_p50_ms": percentile_ms(o.latencies, 50),
                                   "latency_p95_ms": percentile_ms(o.latencies, 95)}
                          for o in self.outputs + ([self.preview] if self.preview else [])}, reason)

    def _close_outputs(self) -> None:
        """Close every output (finalizing recordings) even when one of them fails; re-raise the first error."""
        first = None
        for o in self.outputs + ([self.preview] if self.preview else []):
            try:
                o.close()
            except BaseException as e:  # noqa: BLE001
                first = first or e
        if first is not None and self.error is None:
            self.error = first
