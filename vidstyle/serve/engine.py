"""One shared model runner for every browser: a single inference thread takes the newest frame of each stream
in turn (round robin), so a saturated CPU or GPU drops frames per browser (latest wins) and never queues them.

Each ``Stream`` holds the controls its browser asks for (style, strength, temporal switch, colour option) and a
``StreamState`` of its own (``vidstyle.stylizer``: style code, temporal stage, content-statistics EMA, colour
match); the inference thread brings the state in line with the controls before each of its frames, and
passes it to the runner. Style encoding (bundled styles, uploads) and inference share the runner's lock.
Frames come in as objects with ``to_ndarray(format='rgb24')`` (PyAV video frames); each output goes to the
stream's ``on_output(rgb, frame_in)`` callback, from the inference thread. A frame that fails ends its own
stream (``on_error(message)``), never the others.

Keyframes (``keyframes``; for a model that cannot keep the cameras' frame rate): each stream gets a
``pipelines.painted.PaintedStream``, whose painter thread paints that stream's keyframes with the shared runner
while the inference thread carries the latest painting to every frame by optical flow. 'auto' (None) decides
by the first frames, as `vidstyle webcam` does.
"""
from __future__ import annotations

import collections
import itertools
import logging
import threading
import time

import numpy as np

from ..live.stamp import CELL as STAMP_CELL
from ..live.stamp import COLS, ROWS, read_stamp
from ..media.frame import Frame
from ..pipelines.frames import finish_frame, processing_size
from ..pipelines.painted import KeyframesChoice, PaintedStream
from ..runtime.stages import Latest, Worker, join_all

log = logging.getLogger("vidstyle")
KEEP = 300  # latency samples kept per stream
MIN_SIDE, MAX_SIDE = 16, 4096  # frames outside these sizes (pixels) are refused, counted, not stylized
STAMP_HW = (ROWS * STAMP_CELL, COLS * STAMP_CELL)


def percentiles_ms(seconds) -> tuple[float, float]:
    """(p50, p95) in ms of a sequence of seconds; nan when empty."""
    if not seconds:
        return float("nan"), float("nan")
    p50, p95 = np.percentile(np.asarray(seconds), [50, 95]) * 1000
    return float(p50), float(p95)


class Stream:
    """One browser's stream: the controls it asks for (``style`` (name, code), ``strength``, ``temporal_on``,
    ``preserve_color``; set from any thread, taken by the inference thread before each frame), its own
    ``state``, its uploads (upload id -> (name, code)), the newest unprocessed frame with its arrival time
    (``pending``: a latest-wins slot, which counts the frames it dropped), counters (``refused``: frames
    outside MIN_SIDE..MAX_SIDE, ``received``) and ``error``, the message that ended it (None while it runs);
    ``painted``: its PaintedStream where the model paints keyframes (None: every frame)."""

    def __init__(self, sid: str, state, on_output, on_error=None):
        self.sid, self.state, self.on_output, self.on_error = sid, state, on_output, on_error
        self.style = (state.style_name, state.style_code)
        self.strength, self.preserve_color = state.strength, state.preserve_color
        self.temporal_on = state.temporal_on
        self.uploads: dict[str, tuple] = {}
        self.pending = Latest()
        self.frames = self.refused = self.received = 0
        self.error: str | None = None
        self.painted: PaintedStream | None = None
        self.opened = time.monotonic()
        self.latencies: collections.deque = collections.deque(maxlen=KEEP)  # arrival -> output handed over, s

    @property
    def dropped(self) -> int:
        return self.pending.dropped

    @property
    def temporal(self):
        return self.state.temporal

    @property
    def stats_ema(self):
        return self.state.stats_ema

    def stats(self) -> dict:
        """Frames, drops, refusals, server-side latency (ms), the error; with keyframes, their number, rate per
        second and the last one's short side (else None)."""
        p50, p95 = percentiles_ms(list(self.latencies))  # list(): one atomic copy while the thread appends
        p = self.painted.stats if self.painted is not None else None
        keys = {"keyframes": p and p.painted, "keyframe_short": p and min(p.paint_hw),
                "keyframe_rate": p and p.painted / max(time.monotonic() - self.opened, 1e-9)}
        return {"frames": self.frames, "dropped": self.dropped, "refused": self.refused, "server_p50_ms": p50,
                "server_p95_ms": p95, "error": self.error, **keys}


class Engine:
    """``stylizer``: a vidstyle Stylizer (made with temporal_stats > 0 for the statistics EMA): its model runner
    is shared by every stream, and its state (style, strength, colour option, size) is every new stream's first;
    ``make_temporal()``: a new temporal stage for a stream (None: no temporal stage), on at first when
    ``temporal_on``; ``keyframes``: True, False or None (auto), as for `vidstyle webcam`. ``start()`` the
    thread, ``open_stream``/``close_stream`` per browser, ``submit(stream, frame)`` from any thread, ``stop()``."""

    def __init__(self, stylizer, make_temporal=None, temporal_on: bool = True, keyframes: bool | None = False):
        self.runner, self.template = stylizer.runner, stylizer.state
        self.make_temporal, self.temporal_on = make_temporal, temporal_on
        self.keyframes = KeyframesChoice(keyframes)
        self.lock = self.runner.lock  # held while the runner runs (inference or style encoding)
        self.wake = threading.Event()  # set when a frame arrives or the engine stops
        self.streams: dict[str, Stream] = {}
        self.stop_event = threading.Event()
        self._ids, self._turn = itertools.count(1), 0
        self.default_style = (self.template.style_name, self.template.style_code)
        self.default_strength = self.template.strength
        self.default_preserve_color = self.template.preserve_color
        self.worker = Worker(self._loop, "vidstyle-serve-model", self.stop_event)

    has_preserve_color = True  # the page shows the colour option

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.wake.set()
        join_all([self.worker], raise_error=False)
        for s in list(self.streams.values()):
            self.close_stream(s)
            if s.painted is not None:
                s.painted.close()

    def encode_style(self, style) -> tuple:
        """(name, code) of a style (path or RGB uint8 array)."""
        return self.runner.encode_style(style)

    def open_stream(self, on_output, on_error=None) -> Stream:
        """A new stream: outputs go to ``on_output(rgb, frame_in)``, a failure to ``on_error(message)``."""
        state = self.template.fork(self.make_temporal() if self.make_temporal else None)
        s = Stream(f"s{next(self._ids)}", state, on_output, on_error)
        s.temporal_on = self.temporal_on and state.temporal is not None
        self.streams[s.sid] = s
        return s

    def close_stream(self, s: Stream) -> None:
        """Forget stream ``s`` and stop its painter, if any (from any thread)."""
        self.streams.pop(s.sid, None)
        if s.painted is not None:
            s.painted.end()

    def submit(self, s: Stream, frame) -> None:
        """Hand over a stream's newest frame; an unprocessed older one is dropped (counted). A stream that has
        failed takes no more frames."""
        if s.error is None:
            s.received += 1
            s.pending.put((frame, time.monotonic()))
            self.wake.set()

    def _next(self):
        """The next stream with a pending frame after the last one served (round robin): (stream, frame, t)."""
        while not self.stop_event.is_set():
            self.wake.clear()  # before looking: a frame that arrives while we look sets it again
            order = sorted(list(self.streams.values()), key=lambda s: (int(s.sid[1:]) <= self._turn, int(s.sid[1:])))
            for s in order:
                item = s.pending.get(timeout=0)
                if item is not None:
                    self._turn = int(s.sid[1:])
                    return s, *item
            self.wake.wait(0.1)
        return None

    def _loop(self) -> None:
        while (item := self._next()) is not None:
            s, frame, t = item
            if not (MIN_SIDE <= min(frame.width, frame.height) and max(frame.width, frame.height) <= MAX_SIDE):
                s.refused += 1  # one browser's odd video must not stop the model for everyone
                continue
            try:
                out = self.process(s, frame.to_ndarray(format="rgb24"))
            except Exception as e:  # noqa: BLE001 - one stream's failure ends that stream only
                self._fail(s, e)
                continue
            s.frames += 1
            s.latencies.append(time.monotonic() - t)
            s.on_output(out, frame)

    def _fail(self, s: Stream, e: Exception) -> None:
        """End stream ``s`` after its frame raised ``e``: said once in the log and to its browser."""
        s.error = str(e).splitlines()[0] if str(e) else type(e).__name__
        log.warning("stream %s stopped: %s", s.sid, s.error)
        self.close_stream(s)
        if s.on_error is not None:
            s.on_error(f"stylizing failed: {s.error}")

    def process(self, s: Stream, rgb: np.ndarray) -> np.ndarray:
        """The stylized RGB uint8 (H, W, 3) frame for stream ``s``; a latency stamp in the input's top-left
        corner (``vidstyle.live.stamp``) is copied onto the output, so the page can measure the delay."""
        hw = rgb.shape[:2]
        st = s.state
        if self.keyframes.on and s.painted is None:
            self._paint_keyframes(s)
        painting = lambda: (id(st.style_code), st.strength, st.preserve_color)  # noqa: E731
        before = painting()
        st.follow(*s.style, s.temporal_on and s.painted is None, s.strength, s.preserve_color)
        proc_hw = processing_size(*hw, st.size)
        if s.painted is not None:
            if painting() != before:
                s.painted.restyle()
            y = s.painted.process(Frame(rgb, index=s.received), proc_hw, st.temporal if s.temporal_on else None)
            out = finish_frame(None, rgb, y, proc_hw, hw)
        else:
            t0 = time.monotonic()
            y = self.runner.stylize(st, rgb[None], out_hw=proc_hw)[0]
            out = finish_frame(st.active_temporal, rgb, y, proc_hw, hw)
            self.keyframes.timed(time.monotonic() - t0, self.runner.model_name, self.runner.device.type == "cpu")
        if read_stamp(rgb) is not None:
            h, w = STAMP_HW
            out = np.array(out)  # the temporal stage may hand back its own history buffer
            out[:h, :w] = rgb[:h, :w]
        return out

    def _paint_keyframes(self, s: Stream) -> None:
        """Stream ``s``'s model paints keyframes from now on, on a painter thread of its own."""
        s.painted = PaintedStream(self.runner, s.state)
        s.painted.start(threading.Event())
