"""The shared inference thread of `vidstyle serve`: per-browser state, latest wins, round robin, the stamp."""
import threading
import time

import av
import numpy as np
import pytest

from vidstyle.api import Stylizer
from vidstyle.live.stamp import read_stamp, stamp
from vidstyle.serve.engine import Engine
from vidstyle.temporal import make_temporal


@pytest.fixture(scope="module")
def engine():
    st = Stylizer(model="fast", device="cpu", precision="fp32", temporal_stats=0.7)  # codes cached per session
    e = Engine(st, lambda: make_temporal("flow"), temporal_on=False)
    e.start()
    yield e
    e.stop()


class Outputs:
    """Collects (stream id, RGB output, input frame) as the inference thread hands them over."""

    def __init__(self):
        self.items, self.cond = [], threading.Condition()

    def sink(self, sid):
        def put(rgb, frame):
            with self.cond:
                self.items.append((sid, rgb, frame))
                self.cond.notify_all()
        return put

    def wait(self, n: int, timeout: float = 20.0):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.items) >= n, timeout), f"{len(self.items)} of {n} outputs"
        return self.items


def frame(seed: int, w: int = 96, h: int = 64, ms: int | None = None) -> av.VideoFrame:
    rgb = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    rgb = np.ascontiguousarray(np.repeat(np.repeat(rgb[::8, ::8], 8, 0), 8, 1))  # blocky: a picture, not noise
    if ms is not None:
        stamp(rgb, ms)
    f = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    f.pts = seed
    return f


def test_each_stream_has_its_own_style_and_state(engine):
    outs = Outputs()
    a, b = engine.open_stream(outs.sink("a")), engine.open_stream(outs.sink("b"))
    try:
        assert a.stats_ema is not b.stats_ema and a.temporal is not b.temporal
        b.strength = 0.0
        f = frame(1)
        engine.submit(a, f)
        outs.wait(1)
        engine.submit(b, f)
        items = outs.wait(2)
        ya, yb = items[0][1], items[1][1]
        rgb = f.to_ndarray(format="rgb24")
        assert ya.shape == yb.shape == rgb.shape
        assert np.abs(ya.astype(int) - rgb).mean() > 20  # stylized
        assert np.abs(yb.astype(int) - rgb).mean() < 8  # strength 0: the frame itself, near enough
        assert b.state.strength == 0.0 and a.state.strength == 1.0  # each stream's own state took its controls
        assert a.state is not b.state and engine.template.strength == 1.0
    finally:
        engine.close_stream(a)
        engine.close_stream(b)


def wait_until(cond, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_latest_wins_per_stream_and_round_robin(engine):
    outs = Outputs()
    a, b = engine.open_stream(outs.sink("a")), engine.open_stream(outs.sink("b"))
    try:
        with engine.lock:  # the inference thread waits for the lock: frames pile up, only the newest stays
            engine.submit(a, frame(10))
            wait_until(lambda: not a.pending.full)  # it took a's first frame and waits on the lock with it
            for seed in (11, 12, 13):
                engine.submit(a, frame(seed))
            for seed in (21, 22):
                engine.submit(b, frame(seed))
        items = outs.wait(3)
        time.sleep(0.3)
        assert [(sid, f.pts) for sid, _, f in items] == [("a", 10), ("b", 22), ("a", 13)]  # round robin
        assert a.dropped == 2 and b.dropped == 1 and a.frames == 2 and b.frames == 1
        assert a.stats()["frames"] == 2 and a.stats()["server_p50_ms"] > 0
    finally:
        engine.close_stream(a)
        engine.close_stream(b)


def test_the_latency_stamp_is_carried_to_the_output(engine):
    outs = Outputs()
    s = engine.open_stream(outs.sink("s"))
    try:
        s.temporal_on = True  # the temporal stage's output is copied before the stamp goes in
        engine.submit(s, frame(5, w=160, h=120, ms=1_796_000_123_456))
        items = outs.wait(1)  # before the next frame: latest wins would drop 5 if 6 came before it was taken
        engine.submit(s, frame(6, w=160, h=120))
        y = items[0][1]
        assert read_stamp(y) == 1_796_000_123_456
        assert np.abs(y[60:, 70:].astype(int) - items[0][2].to_ndarray(format="rgb24")[60:, 70:]).mean() > 20
        y2 = outs.wait(2)[1][1]
        assert read_stamp(y2) is None  # no stamp in, none out
        engine.submit(s, frame(7, w=8, h=8))  # too small to stylize: refused, and the thread goes on
        time.sleep(0.3)
        engine.submit(s, frame(8))
        assert outs.wait(3)[2][2].pts == 8 and s.refused == 1 and engine.worker.is_alive()
    finally:
        engine.close_stream(s)


def test_a_failing_frame_ends_its_own_stream_only(engine):
    outs, ended = Outputs(), []
    a = engine.open_stream(outs.sink("a"), on_error=ended.append)
    b = engine.open_stream(outs.sink("b"))
    try:
        name, code = a.style
        a.style = (name, type(code)(code[:1], code.net))  # a broken style code: the network raises on it
        engine.submit(a, frame(30))
        deadline = time.monotonic() + 20
        while not ended and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(ended) == 1 and ended[0].startswith("stylizing failed: ") and a.error
        assert a.sid not in engine.streams and engine.worker.is_alive()
        engine.submit(a, frame(31))  # refused: the stream has ended
        engine.submit(b, frame(32))
        assert [(sid, f.pts) for sid, _, f in outs.wait(1)] == [("b", 32)] and not a.pending.full
    finally:
        engine.close_stream(a)
        engine.close_stream(b)


def test_keyframes_paint_per_stream_and_the_stats_show_their_rate():
    """With keyframes, each browser's painter paints its own stream with the shared runner, the inference
    thread answers every frame it takes without waiting for a painting, a strength change reaches that stream's
    next painting only, and closing a stream stops its painter."""
    st = Stylizer(model="adain", device="cpu", precision="fp32", size=48)
    e = Engine(st, keyframes=True)
    e.start()
    outs = Outputs()
    a, b = e.open_stream(outs.sink("a")), e.open_stream(outs.sink("b"))
    try:
        for i in range(40):
            for s in (a, b):
                e.submit(s, frame(100 + i // 10, w=96, h=64))
            time.sleep(0.04)
            if i == 20:
                generations = a.painted.generation, b.painted.generation
                b.strength = 0.3
        deadline = time.monotonic() + 20
        while not (a.stats()["keyframes"] and b.stats()["keyframes"]) and time.monotonic() < deadline:
            time.sleep(0.05)
        sa, sb = a.stats(), b.stats()
        assert sa["keyframes"] >= 1 and sb["keyframes"] >= 1 and a.painted is not b.painted
        assert sa["keyframe_short"] <= 48 and sa["keyframe_rate"] > 0
        assert (a.painted.generation, b.painted.generation) == (generations[0], generations[1] + 1)  # b's change
        assert sa["frames"] + sa["dropped"] == 40  # every frame answered or replaced by a newer one
        painter = a.painted.painter.worker
        e.close_stream(a)
        painter.join(10)
        assert not painter.is_alive()
    finally:
        e.stop()
    assert not b.painted.painter.worker.is_alive()


def test_the_engine_paints_every_frame_when_keyframes_are_off(engine):
    outs = Outputs()
    s = engine.open_stream(outs.sink("a"))
    try:
        engine.submit(s, frame(3))
        outs.wait(1)
        assert s.painted is None and s.stats()["keyframes"] is None
    finally:
        engine.close_stream(s)
