"""One shared stylizer for every browser: a single inference thread takes the newest frame of each stream in
turn (round robin), so a saturated CPU or GPU drops frames per browser (latest wins) and never queues them.

Each ``Stream`` keeps its own style, strength, temporal stage, content-statistics EMA and colour option;
the engine installs them on the shared stylizer right before that stream's frame runs. Style encoding
(bundled styles, uploads) takes the same lock as inference, so the stylizer is used by one thread at a time.
Frames come in as objects with ``to_ndarray(format='rgb24')`` (PyAV video frames); each output goes to the
stream's ``on_output(rgb, frame_in)`` callback, from the inference thread.
"""
from __future__ import annotations

import collections
import copy
import itertools
import threading
import time

import numpy as np

from ..live.stamp import CELL as STAMP_CELL
from ..live.stamp import COLS, ROWS, read_stamp
from ..pipelines.frames import finish_frame, processing_size
from ..runtime.stages import Worker, join_all

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
    """One browser's stream: its controls and temporal state, the newest unprocessed frame (``pending``, with
    its arrival time) and counters (``refused``: frames outside MIN_SIDE..MAX_SIDE). ``style`` is (name, code);
    ``uploads`` maps an upload id to (name, code)."""

    def __init__(self, sid: str, style: tuple, strength: float, temporal, stats_ema, on_output):
        self.sid, self.style, self.strength, self.on_output = sid, style, strength, on_output
        self.temporal, self.stats_ema = temporal, stats_ema
        self.temporal_on, self.preserve_color = temporal is not None, None
        self.uploads: dict[str, tuple] = {}
        self.pending, self.t_pending = None, 0.0
        self.frames = self.dropped = self.refused = 0
        self.latencies: collections.deque = collections.deque(maxlen=KEEP)  # arrival -> output handed over, s
        self._applied = None  # (style code id, temporal on) the temporal state belongs to

    def stats(self) -> dict:
        p50, p95 = percentiles_ms(list(self.latencies))  # list(): one atomic copy while the thread appends
        return {"frames": self.frames, "dropped": self.dropped, "refused": self.refused, "server_p50_ms": p50,
                "server_p95_ms": p95}


class Engine:
    """``stylizer``: a vidstyle Stylizer (made with temporal_stats > 0 for the statistics EMA), whose style,
    strength and colour option are every new stream's first;
    ``make_temporal()``: a new temporal stage for a stream (None: no temporal stage), on at first when
    ``temporal_on``. ``start()`` the thread,
    ``open_stream``/``close_stream`` per browser, ``submit(stream, frame)`` from any thread, ``stop()``."""

    def __init__(self, stylizer, make_temporal=None, temporal_on: bool = True):
        self.stylizer, self.make_temporal, self.temporal_on = stylizer, make_temporal, temporal_on
        self.lock = threading.Lock()  # held while the stylizer runs (inference or style encoding)
        self.cond = threading.Condition()
        self.streams: dict[str, Stream] = {}
        self.stop_event = threading.Event()
        self._ids, self._turn = itertools.count(1), 0
        self.default_style = (stylizer.style_name, stylizer.style_code)
        self.default_strength = stylizer.strength
        self.default_preserve_color = getattr(stylizer, "preserve_color", None)
        self.worker = Worker(self._loop, "vidstyle-serve-model", self.stop_event)

    @property
    def has_preserve_color(self) -> bool:
        return hasattr(self.stylizer, "preserve_color")

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.stop_event.set()
        with self.cond:
            self.cond.notify_all()
        join_all([self.worker], raise_error=False)

    def encode_style(self, style) -> tuple:
        """(name, code) of a style (path or RGB uint8 array), under the stylizer lock."""
        with self.lock:
            return self.stylizer.encode_style(style)

    def open_stream(self, on_output) -> Stream:
        st = self.stylizer
        stats = copy.copy(st.stats_ema) if getattr(st, "stats_ema", None) is not None else None
        if stats is not None:
            stats.reset()
        temporal = self.make_temporal() if self.make_temporal else None
        s = Stream(f"s{next(self._ids)}", self.default_style, self.default_strength, temporal, stats, on_output)
        s.temporal_on = self.temporal_on and temporal is not None
        s.preserve_color = self.default_preserve_color
        with self.cond:
            self.streams[s.sid] = s
        return s

    def close_stream(self, s: Stream) -> None:
        with self.cond:
            self.streams.pop(s.sid, None)

    def submit(self, s: Stream, frame) -> None:
        """Hand over a stream's newest frame; an unprocessed older one is dropped (counted)."""
        with self.cond:
            if s.pending is not None:
                s.dropped += 1
            s.pending, s.t_pending = frame, time.monotonic()
            self.cond.notify()

    def _next(self):
        """The next stream with a pending frame after the last one served (round robin): (stream, frame, t)."""
        with self.cond:
            while not self.stop_event.is_set():
                ready = [s for s in self.streams.values() if s.pending is not None]
                if ready:
                    order = sorted(ready, key=lambda s: (int(s.sid[1:]) <= self._turn, int(s.sid[1:])))
                    s = order[0]
                    self._turn = int(s.sid[1:])
                    frame, t, s.pending = s.pending, s.t_pending, None
                    return s, frame, t
                self.cond.wait(0.1)
        return None

    def _loop(self) -> None:
        while (item := self._next()) is not None:
            s, frame, t = item
            if not (MIN_SIDE <= min(frame.width, frame.height) and max(frame.width, frame.height) <= MAX_SIDE):
                s.refused += 1  # one browser's odd video must not stop the model for everyone
                continue
            out = self.process(s, frame.to_ndarray(format="rgb24"))
            s.frames += 1
            s.latencies.append(time.monotonic() - t)
            s.on_output(out, frame)

    def _apply(self, s: Stream):
        """Install the stream's controls and state on the shared stylizer; returns its temporal stage or None.
        A new style or a temporal switch starts the stream's temporal history afresh."""
        st = self.stylizer
        st.style_name, st.style_code = s.style
        st.strength = s.strength
        if self.has_preserve_color and st.preserve_color != s.preserve_color:  # setting it re-matches colours
            st.preserve_color = s.preserve_color
        temporal_on = s.temporal_on and s.temporal is not None
        if s.stats_ema is not None:
            st.stats_ema, st.smooth_stats = s.stats_ema, temporal_on
        if (id(s.style[1]), temporal_on) != s._applied:
            if s.stats_ema is not None:
                s.stats_ema.reset()
            if s.temporal is not None:
                s.temporal.reset()
            s._applied = (id(s.style[1]), temporal_on)
        return s.temporal if temporal_on else None

    def process(self, s: Stream, rgb: np.ndarray) -> np.ndarray:
        """The stylized RGB uint8 (H, W, 3) frame for stream ``s``; a latency stamp in the input's top-left
        corner (``vidstyle.live.stamp``) is copied onto the output, so the page can measure the delay."""
        hw = rgb.shape[:2]
        with self.lock:
            temporal = self._apply(s)
            proc_hw = processing_size(*hw, self.stylizer.size)
            y = self.stylizer(rgb[None], out_hw=proc_hw)[0]
        out = finish_frame(temporal, rgb, y, proc_hw, hw)
        if read_stamp(rgb) is not None:
            h, w = STAMP_HW
            out = np.array(out)  # the temporal stage may hand back its own history buffer
            out[:h, :w] = rgb[:h, :w]
        return out
