"""The live pipeline of `vidstyle webcam`: capture -> stylizer (+ temporal) -> outputs, latest wins throughout.

Workers (``vidstyle.runtime.stages``): the capture thread keeps only the newest camera frame; a model thread
stylizes the newest frame, one at a time (batch 1: latency before throughput); each output has its own
thread and a one-slot latest-wins queue. So nothing queues up anywhere: when the model is slower than the
camera, camera frames are dropped and the latency stays one model call plus at most one frame interval.
The preview window, if any, is pumped by the calling (main) thread, which also turns its hotkeys into
``Controls`` state that the model thread reads before each frame (a style switch cross-fades: ``fade``). All
share one stop event: the first error anywhere ends the run; every thread is joined before the outputs are
finished.
"""
from __future__ import annotations

import collections
import logging
import threading
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..live.controls import Controls
from ..live.outputs import KEEP
from ..media.frame import Frame
from ..runtime.stages import Worker, join_all
from .fade import StyleFade
from .frames import finish_frame, processing_size, stylize_frames
from .painted import KeyframesChoice, PaintedStream

log = logging.getLogger("vidstyle")
POLL_S = 0.05  # how often the main thread looks at the workers when it has no preview to pump
OVERLAY_FRAMES = 30  # frames the preview overlay's fps and latency are averaged over


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
    keyframes: int | None = None  # paintings taken in, where the model paints keyframes
    paint_hw: tuple[int, int] | None = None  # the size (H, W) the last keyframe was painted at

    @property
    def keyframe_rate(self) -> float:
        """Keyframes per second (0 where the model paints every frame)."""
        return (self.keyframes or 0) / max(self.seconds, 1e-9)

    def summary(self) -> str:
        line = (f"{self.frames} frames in {self.seconds:.1f} s, {self.fps:.1f} fps, capture->output latency "
                f"p50 {self.latency_p50_ms:.0f} ms p95 {self.latency_p95_ms:.0f} ms, "
                f"{self.camera_dropped} camera frames dropped")
        if self.keyframes is not None:
            line += f", {self.keyframes} keyframes ({self.keyframe_rate:.1f}/s, the last painted at " \
                    f"{self.paint_hw[1]}x{self.paint_hw[0]})"
        for name, o in self.outputs.items():
            line += f"; {name}: {o['sent']} sent, {o['dropped']} dropped, p50 {o['latency_p50_ms']:.0f} ms"
        return line + (f" ({self.reason})" if self.reason else "")


class LiveSession:
    """Wire ``capture`` (live.cameras.Capture), ``stylizer`` (a Stylizer: its model runner and the one stream
    state this run owns), the pre-encoded ``styles`` [(name, code)], ``outputs`` (live.outputs.Output) and an
    optional ``preview`` (live.preview.PreviewWindow). ``temporal`` is the stage used while ``controls.temporal``
    is on (None: never); the content statistics smoothing follows the same switch. ``keyframes``: True: the
    model paints keyframes and optical flow carries them to every frame (``painted.PaintedStream``, for a model
    that cannot keep the camera's frame rate; ``temporal`` runs on the carried frames then); False: the model paints
    every frame; None (auto): keyframes when the first frames take too long (``painted.KeyframesChoice``).
    ``run(duration)`` blocks until the camera ends, the user quits, ``duration`` seconds pass or Ctrl-C, closes
    everything and returns LiveStats."""

    def __init__(self, capture, stylizer, styles: list[tuple[str, tuple]] | None = None, outputs=(),
                 preview=None, controls: Controls | None = None, temporal=None, keyframes: bool | None = False):
        self.capture, self.preview = capture, preview
        self.runner, self.state = stylizer.runner, stylizer.state
        self.keyframes = KeyframesChoice(keyframes)
        self.painted: PaintedStream | None = None
        self.smoother = None  # the temporal stage, once the model paints keyframes
        self.state.temporal = temporal
        self.styles = styles or [(self.state.style_name, self.state.style_code)]
        self.outputs = list(outputs)
        self.controls = controls or Controls([n for n, _ in self.styles], self.state.strength, temporal is not None,
                                             self.state.preserve_color)
        self.frames = 0
        self.latencies: collections.deque = collections.deque(maxlen=KEEP)  # seconds, the most recent frames
        self.recent: collections.deque = collections.deque(maxlen=OVERLAY_FRAMES)  # (done time, latency)
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self._applied = None  # (style index, temporal on, original) in use by the model thread
        self.fade = StyleFade(getattr(self.runner, "blend_codes", None))
        self.mix = None  # (old code, its weight) while a fade mixes two networks' pictures

    def status(self) -> str:
        """One line for the preview overlay: fps, latency, style, strength, temporal, original."""
        c, rec = self.controls, list(self.recent)
        fps = (len(rec) - 1) / (rec[-1][0] - rec[0][0]) if len(rec) > 1 and rec[-1][0] > rec[0][0] else 0.0
        lat = 1000 * float(np.median([r[1] for r in rec])) if rec else 0.0
        mode = "original" if c.original else (f"{c.style} {c.strength:.1f}" + (" temporal" if c.temporal else "")
                                              + (f" colour {c.preserve_color}" if c.preserve_color else ""))
        if self.painted is not None and not c.original:
            mode += f" | {self.painted.stats.painted} keyframes, painted at {self.painted.stats.paint_hw[0]} px"
        return f"{fps:.1f} fps {lat:.0f} ms | {mode}"

    def _apply_controls(self, now: float) -> None:
        """Bring the stream state in line with the controls for a frame captured at ``now`` (seconds). A style
        switch alone cross-fades (``fade``): the codes where they blend, else the pictures of the two networks
        (``mix``); any other change starts the history afresh."""
        c, st = self.controls, self.state
        temporal_on = c.temporal and st.temporal is not None
        if self.painted is not None:
            self._apply_painted(c, st)
            return
        if (c.style_index, temporal_on, c.original) != self._applied:
            name, code = self.styles[c.style_index]
            switch = self._applied is not None and self._applied[1:] == (temporal_on, c.original) and not c.original
            if switch and c.preserve_color != "match" and self.fade.start(st.style_code, code, now):
                st.style_name = name  # two networks in turn (a picture fade): no statistics carried between them
                st.smooth_stats = temporal_on and st.stats_ema is not None and not self.fade.pictures
            else:
                self.fade.running = None
                st.select(name, code, temporal_on)
                st.reset()  # no smoothing or blending across a jump
            self._applied = (c.style_index, temporal_on, c.original)
        self.mix = None
        if self.fade.running:
            pictures = self.fade.pictures
            st.style_code, other, w = self.fade.frame(now)
            if other is not None:
                self.mix = (other, w)
            elif pictures:  # the picture fade is over: the new network's own statistics from here on
                st.select(st.style_name, st.style_code, temporal_on)
                st.reset()
        if st.strength != c.strength:
            st.strength = c.strength
        if st.preserve_color != c.preserve_color:
            st.preserve_color = c.preserve_color  # 'match' matches the style to the next frame

    def _paint_keyframes(self) -> None:
        """From now on the model paints keyframes, carried to every frame (the carrier replaces the style
        cross-fade; the temporal stage, while on, runs on the carried frames)."""
        self.fade.running, self.mix, self._applied = None, None, None
        st = self.state
        self.smoother, st.temporal = st.temporal, None
        st.select(st.style_name, st.style_code, False)
        st.reset()
        self.painted = PaintedStream(self.runner, self.state)
        self.painted.start(self.stop)

    def _apply_painted(self, c: Controls, st) -> None:
        """The controls, where the model paints keyframes: a new style, strength or colour option is painted
        into the next keyframe, which fades in (paintings already under way are dropped); after the original
        was shown, the carrier starts afresh."""
        wanted = (c.style_index, c.strength, c.preserve_color)
        if self._applied is not None and self._applied[1] and not c.original:
            self.painted.reset()
        if self._applied is None or self._applied[0] != wanted:
            name, code = self.styles[c.style_index]
            if name != st.style_name:
                st.select(name, code, False)
            st.strength, st.preserve_color = c.strength, c.preserve_color
            self.painted.restyle()
        self._applied = (wanted, c.original)

    def process(self, frame: Frame) -> np.ndarray:
        """The output image for one camera frame: RGB uint8 of the frame's size."""
        self._apply_controls(frame.t_capture)
        if self.controls.original:
            return frame.rgb
        hw = frame.rgb.shape[:2]
        proc_hw = processing_size(*hw, self.state.size)
        if self.painted is not None:
            smoother = self.smoother if self.controls.temporal else None
            return finish_frame(None, frame.rgb, self.painted.process(frame, proc_hw, smoother), proc_hw, hw)
        if self.keyframes.on is None:
            t0 = time.monotonic()
            out = stylize_frames(self.runner, self.state, [frame], proc_hw, hw)[0]
            if self.keyframes.timed(time.monotonic() - t0, self.runner.model_name, self.runner.device.type == "cpu"):
                self._paint_keyframes()
            return out
        if self.mix is None:
            return stylize_frames(self.runner, self.state, [frame], proc_hw, hw)[0]
        return finish_frame(self.state.active_temporal, frame.rgb, self._mixed(frame.rgb, proc_hw), proc_hw, hw)

    def _mixed(self, rgb: np.ndarray, proc_hw: tuple[int, int]) -> np.ndarray:
        """A picture-fade frame: ``rgb`` stylized with the current code and with ``mix``'s old one (another
        network), mixed with the old one's weight; uint8 (proc_hw + (3,))."""
        old, w = self.mix
        y = self.runner.stylize(self.state, rgb[None], out_hw=proc_hw)[0]
        y_old = self.runner.stylize(self.state, rgb[None], out_hw=proc_hw, code=old)[0]
        return cv2.addWeighted(y_old, w, y, 1.0 - w, 0.0)

    def _model_loop(self) -> None:
        receivers = self.outputs + ([self.preview] if self.preview else [])
        while not self.stop.is_set():
            frame = self.capture.get(timeout=POLL_S)
            if frame is None:
                if self.capture.done:
                    return
                continue
            out = Frame(self.process(frame), index=frame.index, t_capture=frame.t_capture)
            now = time.monotonic()
            self.frames += 1
            self.latencies.append(now - frame.t_capture)
            self.recent.append((now, now - frame.t_capture))
            for o in receivers:
                o.submit(out)

    def _watch(self, model: Worker, deadline: float | None) -> str:
        """The main thread's loop: preview, hotkeys, duration, failures anywhere; returns why it ended."""
        while model.is_alive() and not self.stop.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                return "duration reached"
            if self.preview is None:
                self.stop.wait(POLL_S)
                continue
            action = self.controls.handle_key(self.preview.pump(self.status()))
            if action == "quit":
                return "quit"
            if action == "snapshot" and (path := self.preview.snapshot()):
                log.warning("snapshot saved: %s", path)
        failed = next((o for o in self.outputs if o.error is not None), None)
        return f"{failed.name} failed" if failed else self.capture.message

    def run(self, duration: float | None = None) -> LiveStats:
        model = Worker(self._model_loop, "vidstyle-model", self.stop)
        t0 = time.monotonic()
        reason = ""
        try:
            self.capture.start(self.stop)
            for o in self.outputs:
                o.start(self.stop)
            if self.keyframes.on:
                self._paint_keyframes()
            model.start()
            reason = self._watch(model, None if duration is None else t0 + duration)
        except KeyboardInterrupt:
            reason = "interrupted"
        finally:
            self.stop.set()
            self.capture.stop()
            join_all([model], raise_error=False)
            seconds = time.monotonic() - t0
            self._close_outputs()
        errors = [model.error, self.capture.error] + [o.error for o in self.outputs]
        if self.painted is not None:
            errors.append(self.painted.close())
        self.error = next((e for e in errors if e is not None), self.error)
        if self.error is not None:
            raise self.error
        return self._stats(seconds, reason)

    def _stats(self, seconds: float, reason: str) -> LiveStats:
        receivers = self.outputs + ([self.preview] if self.preview else [])
        lat, p = self.latencies, self.painted
        return LiveStats(self.frames, seconds, self.frames / max(seconds, 1e-9), percentile_ms(lat, 50),
                         percentile_ms(lat, 95), self.capture.dropped,
                         {o.name: {"sent": o.sent, "dropped": o.dropped,
                                   "latency_p50_ms": percentile_ms(o.latencies, 50),
                                   "latency_p95_ms": percentile_ms(o.latencies, 95)} for o in receivers}, reason,
                         None if p is None else p.stats.painted, None if p is None else p.stats.paint_hw)

    def _close_outputs(self) -> None:
        """Close every output (finalizing recordings) even when one of them fails; keep the first error."""
        first = None
        for o in self.outputs + ([self.preview] if self.preview else []):
            try:
                o.close()
            except BaseException as e:  # noqa: BLE001
                first = first or e
        if first is not None and self.error is None:
            self.error = first
