"""Live keyframes (`vidstyle webcam --keyframes`): a model slower than the camera paints keyframes on its own
thread while the stream keeps the camera's frame rate; auto picks it for slow models only; a style switch, a
strength change and `o` (original) act live without a pop; dark frames, a stalled camera and a clip shorter
than one painting end well; the painter adapts its size; `bench --live` reports the keyframe rate."""
import time

import cv2
import numpy as np
import pytest
from live_helpers import ListOutput, PanCamera, SlowStylizer, StyleStandIn

from vidstyle.bench import live_bench
from vidstyle.live.cameras import Capture
from vidstyle.live.controls import Controls
from vidstyle.media.frame import Frame
from vidstyle.pipelines.live import LiveSession
from vidstyle.pipelines.painted import (
    AT_RATE,
    LEVELS,
    PAUSES,
    SLOW_S,
    SURE_ABOVE_S,
    UP_AFTER,
    KeyframesChoice,
    Quality,
    crisp,
)
from vidstyle.temporal import make_temporal
from vidstyle.temporal.carry import FADE


def test_a_slow_model_paints_keyframes_while_the_stream_keeps_the_camera_rate():
    delay = 0.25
    st = StyleStandIn(delay)
    session = LiveSession(Capture(PanCamera(frames=75)), st, keyframes=True)
    stats = session.run(duration=20)
    camera = stats.frames + stats.camera_dropped
    assert stats.reason == "end of pan camera" and camera == 75
    assert stats.frames >= 0.8 * camera  # painting every frame would keep 1 in 7.5
    assert stats.frames > 4 * st.calls and stats.keyframes >= 3 and st.calls <= stats.keyframes + 2
    assert np.percentile(session.latencies, 95) < min(st.seconds)  # no frame waits for a painting
    assert "keyframes (" in stats.summary() and stats.keyframe_rate == pytest.approx(stats.keyframes / stats.seconds)


@pytest.mark.parametrize("delay, painted", [(0.15, True), (0.0, False)])
def test_auto_paints_keyframes_for_a_slow_model_only(delay, painted):
    session = LiveSession(Capture(PanCamera(frames=40)), StyleStandIn(delay), keyframes=None)
    stats = session.run(duration=20)
    assert (stats.keyframes is not None) == painted and (session.painted is not None) == painted


def test_auto_decides_on_one_slow_frame_on_a_cpu_and_waits_for_a_warm_one_elsewhere():
    cpu = KeyframesChoice(None)
    assert cpu.timed(SURE_ABOVE_S + 0.5, "adain") and cpu.on  # no second frame of seconds to wait for
    gpu = KeyframesChoice(None)
    assert not gpu.timed(SURE_ABOVE_S + 0.5, "fast", cpu=False) and gpu.on is None  # a GPU's cold first frame
    assert not gpu.timed(0.01, "fast", cpu=False) and gpu.on is False
    cold = KeyframesChoice(None)
    assert not cold.timed(SURE_ABOVE_S / 2, "fast") and cold.on is None  # warm-up may explain it: one more
    assert cold.timed(SURE_ABOVE_S / 2, "fast") and cold.on


def step_until_painted(session: LiveSession, frames, start: int) -> tuple[int, list]:
    """Feed ``frames`` from index ``start`` to the session one by one until a painting has been taken in;
    returns the next index and the outputs."""
    outs, before = [], session.painted.stats.painted
    i = start
    while session.painted.stats.painted == before:
        while not session.painted.painter.outbox.full and session.painted.painter.busy:
            time.sleep(0.002)
        outs.append(session.process(Frame(frames[i % len(frames)], index=i)))
        i += 1
        assert i < start + 50
    return i, outs


def test_style_switch_strength_and_original_act_live_without_a_pop():
    cam = PanCamera(frames=400, step=1)
    frames = [cam.read() for _ in range(200)]
    st = StyleStandIn()
    controls = Controls(["a", "b"])
    session = LiveSession(None, st, [("a", "a"), ("b", "b")], controls=controls, keyframes=True)
    session._paint_keyframes()
    try:
        i, _ = step_until_painted(session, frames, 0)
        i, _ = step_until_painted(session, frames, i)
        a_out = session.process(Frame(frames[i], index=i))
        assert np.abs(a_out.astype(int) - (255 - frames[i])).mean() < 20  # style a: inverted (and sharpened)
        controls.style_index = 1  # `n`: the next painting is style b and fades in
        i, outs = step_until_painted(session, frames, i + 1)
        outs += [session.process(Frame(frames[j], index=j)) for j in range(i, i + 2 * FADE + 2)]
        i += 2 * FADE + 2
        b_out = outs[-1]
        assert np.abs(b_out.astype(int) - frames[i - 1] // 2).mean() < 20  # style b: halved (and sharpened)
        steps = [np.abs(x.astype(int) - y).mean() for x, y in zip(outs, outs[1:])]
        assert max(steps) < 0.5 * np.abs(a_out.astype(int) - b_out).mean()  # a cross-fade, not a jump
        assert st.seen[-1] == ("b", 1.0)
        controls.strength = 0.5  # `-`: the next painting is weaker
        i, _ = step_until_painted(session, frames, i)
        assert st.seen[-1] == ("b", 0.5)
        controls.original = True  # `o`: the camera frame itself, at once
        assert np.array_equal(session.process(Frame(frames[i], index=i)), frames[i])
        controls.original = False  # back: carried afresh from the next painting, not from a stale map
        session.process(Frame(frames[i + 30], index=i + 30))
        assert session.painted.carrier.key is None
    finally:
        session.stop.set()
        session.painted.close()


def test_the_streams_first_frame_is_already_painted():
    frame = PanCamera(frames=1).read()
    session = LiveSession(None, StyleStandIn(0.05), keyframes=True)
    session._paint_keyframes()
    try:
        out = session.process(Frame(frame, index=0)).astype(int)
        assert np.abs(out - (255 - frame)).mean() < 0.5 * np.abs(out - frame).mean()  # style a inverts
    finally:
        session.stop.set()
        session.painted.close()


def test_a_painting_painted_small_gets_its_edges_back_when_upscaled():
    edge = np.zeros((60, 160, 3), np.uint8)
    edge[:, 81:] = 200  # a stroke's edge
    up = cv2.resize(cv2.resize(edge, (80, 30), interpolation=cv2.INTER_AREA), (160, 60), interpolation=cv2.INTER_CUBIC)

    def slope(x):
        return np.abs(np.diff(x[30, :, 0].astype(int))).max()

    assert 1.3 * slope(up) < slope(crisp(up, 2.0)) <= slope(edge)  # 66 -> 96 of 200
    assert crisp(up, 1.0) is up  # painted at the stream's size: left alone


def test_the_temporal_stage_runs_on_the_carried_frames_while_it_is_on():
    cam = PanCamera(frames=100, step=1)
    frames = [cam.read() for _ in range(60)]
    session = LiveSession(None, StyleStandIn(0.05), temporal=make_temporal("ema"), keyframes=True)
    session._paint_keyframes()
    try:
        i, _ = step_until_painted(session, frames, 0)
        for on in (True, False, True):  # `t` switches it
            session.controls.temporal = on
            outs = [session.process(Frame(frames[j], index=j)) for j in range(i, i + 3)]
            carried = session.painted.carrier.render()
            if on:  # blended with its history, which starts afresh when it is switched on
                assert not np.array_equal(outs[-1], carried) and outs[-1].shape == carried.shape
            else:
                assert np.array_equal(outs[-1], carried)
            i += 3
    finally:
        session.stop.set()
        session.painted.close()


def test_dark_frames_and_a_stalled_camera_end_well():
    st = StyleStandIn(0.1)
    out = ListOutput()
    cam = PanCamera(frames=60, dark=range(20, 30), stall_at=40, stall_s=1.0)
    stats = LiveSession(Capture(cam), st, outputs=[out], keyframes=True).run(duration=20)
    assert stats.reason == "end of pan camera" and stats.frames >= 45
    assert all(f.shape == (120, 160, 3) and f.dtype == np.uint8 for f in out.frames)
    assert st.calls <= stats.keyframes + 2 + 1  # the painter waited for frames during the stall: no spinning
    assert stats.keyframes >= 4


def test_a_clip_shorter_than_one_painting():
    st = StyleStandIn(1.0)
    out = ListOutput()
    session = LiveSession(Capture(PanCamera(frames=5)), st, outputs=[out], keyframes=True)
    stats = session.run(duration=20)
    sent = stats.outputs["list"]
    assert stats.frames + stats.camera_dropped == 5 and len(out.frames) == sent["sent"]
    assert sent["sent"] + sent["dropped"] == stats.frames
    assert stats.keyframes == 0 and not session.painted.painter.worker.is_alive()


def test_the_painter_starts_small_steps_down_when_the_rate_is_lost_and_up_when_it_holds():
    q = Quality()
    assert q.scale == LEVELS[-1] and q.pause == 0  # the first keyframe comes soon
    q.update(kept=AT_RATE - 0.1, paint_s=0.1)  # the stream lost the camera's rate: pause between paintings
    assert q.scale == LEVELS[-1] and q.pause == PAUSES[1]
    for _ in range(len(PAUSES)):
        q.update(kept=1.0, paint_s=SLOW_S + 0.1)  # too slow: stale keyframes
    assert q.pause == PAUSES[-1] and q.level == q.top  # no further
    for _ in range(UP_AFTER * (len(PAUSES) - 1)):
        q.update(kept=1.0, paint_s=0.01)
    assert q.scale == LEVELS[-1] and q.pause == 0  # UP_AFTER good paintings a step: back to no pause
    for _ in range(UP_AFTER):
        q.update(kept=1.0, paint_s=0.01)
    assert q.scale == LEVELS[-2]
    ratio = (LEVELS[-3] / LEVELS[-2]) ** 2
    for _ in range(2 * UP_AFTER):
        q.update(kept=1.0, paint_s=SLOW_S / ratio * 1.1)  # the next size up is predicted to be too slow
    assert q.scale == LEVELS[-2]
    for _ in range(UP_AFTER):
        q.update(kept=1.0, paint_s=SLOW_S / ratio * 0.9)
    assert q.scale == LEVELS[-3]
    q.calibrate(LEVELS[-1], SLOW_S / 4.5)  # a quick painting: twice the side (4x the area) still fits
    assert q.scale == LEVELS[-1] * 2 == LEVELS[2]
    q.calibrate(LEVELS[-1], SLOW_S * 2)  # not even the smallest fits: the smallest
    assert q.scale == LEVELS[-1]


def test_the_first_frame_of_a_shot_is_painted_small_the_next_at_the_painters_level():
    st = StyleStandIn(0.05)
    cam = PanCamera(frames=60, dark=range(30, 32))  # a cut to black and back: twice a new shot
    session = LiveSession(Capture(cam), st, keyframes=True)
    session.run(duration=20)
    quality = session.painted.painter.quality
    smallest = max(64, round(120 * LEVELS[-1]))
    assert st.sizes[0] == smallest and quality.level < len(LEVELS) - 1  # it climbed past the quick size
    bigger = [i for i, s in enumerate(st.sizes) if s > smallest]
    assert bigger and any(st.sizes[i] == smallest for i in range(bigger[0] + 1, len(st.sizes)))  # after the cut


@pytest.mark.parametrize("delay, full", [(1.5, False), (0.01, True)])
def test_the_painter_finds_its_size_in_a_live_run(delay, full):
    st = SlowStylizer(delay)
    session = LiveSession(Capture(PanCamera(frames=120)), st, keyframes=True)
    stats = session.run(duration=20)
    q = session.painted.painter.quality
    if full:  # a quick painter climbs to the stream's own size
        assert stats.paint_hw == (120, 160) and q.level == 0
    else:  # one slower than SLOW_S at any size stays at the smallest and pauses
        assert min(stats.paint_hw) == max(64, round(120 * LEVELS[-1])) and q.pause > 0


def test_live_bench_reports_the_keyframe_rate():
    r = live_bench("adain", size=32, seconds=2.0, resolution=(160, 120), fps=30, keyframes=True)
    assert r["keyframes"] >= 1 and r["keyframe_rate"] == pytest.approx(r["keyframes"] / r["seconds"], rel=0.05)
    assert 8 <= r["keyframe_short"] <= 32 and r["fps"] > 0
