"""`vidstyle bench`: the table's rows per model x size x backend, the end-to-end clip, and bad arguments."""
import importlib.util
import json

import av
import pytest
from conftest import run_cli

from vidstyle import bench, temporal
from vidstyle.errors import VidstyleError
from vidstyle.temporal.base import Shrunk

HAS_ORT = all(importlib.util.find_spec(m) for m in ("onnx", "onnxscript", "onnxruntime"))


def test_bench_clip_is_real_footage_for_the_flow_stage(tmp_path):
    """The end-to-end clip has audio and the requested size, and the flow stage finds its pan: most pixels
    agree with the warped previous frame, so `--temporal flow` really blends instead of falling back."""
    path = bench.make_clip(str(tmp_path / "c.mp4"), (90, 160), 6)
    with av.open(path) as c:
        assert c.streams.audio and (c.streams.video[0].width, c.streams.video[0].height) == (160, 90)
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 6
    flow = temporal.make_temporal("flow")
    cur, prev = Shrunk(frames[-1]), Shrunk(frames[-2])
    _, weight = flow.agreement(cur, prev)
    assert weight.mean() > 0.5 * flow.strength, weight.mean()


@pytest.mark.skipif(not HAS_ORT, reason="needs the optional extra vidstyle[onnx]")
def test_bench_rows_per_backend_as_json():
    r = run_cli("bench", "--model", "fast", "--size", "48", "--backend", "torch", "onnxruntime",
                "--seconds", "0.3", "--frames", "6", "--temporal", "flow", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert "cores" in out["machine"]
    rows = {row["backend"]: row for row in out["rows"]}
    assert set(rows) == {"torch", "onnxruntime"}
    assert all(row["model_fps"] > 0 and row["size"] == "86x48" for row in rows.values())
    assert rows["torch"]["e2e_fps"] > 0 and rows["torch"]["temporal"] == "flow"
    assert rows["torch"]["temporal_ms"] > 0 and 0 < rows["torch"]["temporal_share"] < 1
    assert rows["onnxruntime"]["precision"] == "float32" and "e2e_fps" not in rows["onnxruntime"]
    from vidstyle.runtime.device import cpu_has_bf16

    timed = {row["precision"] for row in out["rows"] if row["backend"] == "torch"}  # both, where bf16 is native
    assert timed == ({"float32", "bfloat16"} if cpu_has_bf16() else {"float32"}) and "bf16" in out["machine"]


def test_onnxruntime_backend_refuses_adain():
    with pytest.raises(VidstyleError, match="fast"):
        bench.run_bench(["adain"], [32], backends=("onnxruntime",), e2e=False, seconds=0.1, quiet=True)


def test_unknown_backend_is_a_one_line_error():
    r = run_cli("bench", "--backend", "tensorrt")
    assert r.returncode != 0 and "invalid choice" in r.stderr and "Traceback" not in r.stderr
