"""`vidstyle bench` times in 3 interleaved rounds by default (model-only and end-to-end, model after model) and
warns, one line each, when rounds disagree or model-only is slower than end-to-end."""
import logging

import pytest

from vidstyle import bench
from vidstyle.cli.main import build_parser


def test_three_rounds_by_default():
    assert build_parser().parse_args(["bench"]).rounds == 3 == bench.ROUNDS


@pytest.fixture
def fake_timings(monkeypatch):
    """model_fps and e2e_fps replaced by recorders giving the next of their given rates."""
    calls = []

    def recorder(kind, rates):
        it = iter(rates)

        def timed(st, *_args, **_kwargs):
            calls.append((kind, st.model_name))
            return next(it)
        return timed

    def use(model_rates, e2e_rates):
        monkeypatch.setattr(bench, "model_fps", recorder("model", model_rates))
        monkeypatch.setattr(bench, "e2e_fps", recorder("e2e", e2e_rates))
        return calls
    return use


def test_rounds_interleave_model_only_and_end_to_end_across_models(fake_timings, caplog):
    calls = fake_timings([10.0, 20.0] * 3, [8.0, 15.0] * 3)
    with caplog.at_level(logging.WARNING, logger="vidstyle"):
        out = bench.run_bench(["fast", "fast-v1"], [16], device="cpu", precisions=["fp32"], frames=2, quiet=True)
    assert calls == [("model", "fast"), ("e2e", "fast"), ("model", "fast-v1"), ("e2e", "fast-v1")] * 3
    fast, v1 = out["rows"]
    assert (fast["model_fps"], fast["e2e_fps"], v1["model_fps"], v1["e2e_fps"]) == (10.0, 8.0, 20.0, 15.0)
    assert fast["model_fps_range"] == [10.0, 10.0] and fast["e2e_fps_range"] == [8.0, 8.0]
    assert "warnings" not in fast and not caplog.records  # consistent rounds: nothing to say


def test_disagreeing_rounds_and_a_slow_model_only_rate_are_warned_about(fake_timings, caplog):
    fake_timings([2.1, 30.0, 3.0], [39.0, 40.0, 38.0])  # a busy machine during two model-only timings
    with caplog.at_level(logging.WARNING, logger="vidstyle"):
        row = bench.run_bench(["fast"], [16], device="cpu", precisions=["fp32"], frames=2, quiet=True)["rows"][0]
    assert row["model_fps"] == 3.0 and row["e2e_fps"] == 39.0
    lines = [r.getMessage() for r in caplog.records]
    assert lines == row["warnings"] and len(lines) == 2 and all("\n" not in ln for ln in lines)
    assert "model-only timings of fast at 28x16 (float32) disagree across rounds (2.1-30.0 fps)" in lines[0]
    assert "model-only 3.0 fps of fast at 28x16 (float32) is slower than end-to-end 39.0 fps" in lines[1]


def test_doubts_of_a_single_round():
    row = {"model": "adain", "size": "640x360", "precision": "float32", "model_fps": 5.0}
    assert bench.doubts(row, [5.0], []) == []
    assert bench.doubts(row | {"e2e_fps": 4.0}, [5.0], [4.0]) == []
    assert len(bench.doubts(row | {"e2e_fps": 6.0}, [5.0], [6.0])) == 1
