"""One model runner, many stream states: each stream keeps its own style, strength and history, and a shared
runner gives every stream what a runner of its own would."""
import threading

import numpy as np
import pytest
from conftest import ROOT

from vidstyle.api import Stylizer
from vidstyle.stylizer import ModelRunner

BASE = np.repeat(np.repeat(np.random.default_rng(3).integers(0, 256, (6, 8, 3)), 8, 0), 8, 1)
CLIP = [np.clip(BASE * g + 10 * k, 0, 255).astype(np.uint8) for k, g in enumerate((1.0, 0.8, 0.9, 0.7))]  # one shot
WAVE = f"{ROOT}/samples/painting_hokusai_great_wave_off_kanagawa.jpg"
KANDINSKY = f"{ROOT}/samples/painting_kandinsky_composition_viii_1923.jpg"


@pytest.fixture(scope="module")
def runner():
    return ModelRunner("adain", "cpu", "fp32", disk_cache=False)


def test_two_streams_on_one_runner_match_their_own_stylizers(runner):
    a = runner.new_state(WAVE, strength=1.0, temporal_stats=0.7)
    b = runner.new_state(KANDINSKY, strength=0.5, temporal_stats=0.7)
    own_a = Stylizer(WAVE, model="adain", device="cpu", precision="fp32", disk_cache=False, temporal_stats=0.7)
    own_b = Stylizer(KANDINSKY, model="adain", device="cpu", precision="fp32", disk_cache=False, strength=0.5,
                     temporal_stats=0.7)
    for frame in CLIP:  # interleaved: b's calls must not move a's statistics EMA, nor a's b's
        ya, yb = runner.stylize(a, frame), runner.stylize(b, frame)
        assert np.array_equal(ya, own_a(frame)) and np.array_equal(yb, own_b(frame))
    assert a.stats_ema is not b.stats_ema and not np.array_equal(ya, yb)


def test_reset_forgets_the_history_and_fork_starts_without_it(runner):
    s = runner.new_state(WAVE, temporal_stats=0.7)
    first = runner.stylize(s, CLIP[0])
    runner.stylize(s, CLIP[1])
    assert not np.array_equal(runner.stylize(s, CLIP[0]), first)  # smoothed towards CLIP[1]'s statistics
    fork = s.fork()
    assert np.array_equal(runner.stylize(fork, CLIP[0]), first) and fork.stats_ema is not s.stats_ema
    s.reset()
    assert np.array_equal(runner.stylize(s, CLIP[0]), first)


def test_select_starts_the_history_afresh_only_on_a_change(runner):
    s = runner.new_state(WAVE, temporal_stats=0.7, temporal=object.__new__(Resettable))
    _, kandinsky = runner.encode_style(KANDINSKY)
    runner.stylize(s, CLIP[0])
    assert not s.select(s.style_name, s.style_code, True) and s.stats_ema.state is not None
    assert s.select("kandinsky", kandinsky, True) and s.stats_ema.state is None and s.temporal.resets == 1
    assert s.select("kandinsky", kandinsky, False) and not s.smooth_stats and s.active_temporal is None


class Resettable:
    resets = 0

    def reset(self):
        self.resets += 1


def test_threads_sharing_a_runner_get_their_own_streams_results(runner):
    states = [runner.new_state(style, strength=w) for style, w in ((WAVE, 1.0), (KANDINSKY, 0.6), (WAVE, 0.3))]
    expected = [[runner.stylize(st, f) for f in CLIP] for st in states]
    got = [None] * len(states)

    def work(i):
        got[i] = [runner.stylize(states[i], f) for f in CLIP for _ in range(2)][::2]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(states))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(np.array_equal(g, e) for gs, es in zip(got, expected) for g, e in zip(gs, es))
