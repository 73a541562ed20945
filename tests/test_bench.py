"""`vidstyle bench`: the table's rows per model x size x backend, the end-to-end clip, and bad arguments."""
import importlib.util
import json
from unittest import mock

import av
import pytest
import torch
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


def native_bf16() -> bool | None:
    """Whether /proc/cpuinfo lists native bf16 math (AVX512-BF16 or AMX-BF16); None where it cannot be read."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = {w for line in f if line.startswith("flags") for w in line.split()}
    except OSError:
        return None
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def test_bench_torch_rows_as_json():
    r = run_cli("bench", "--model", "fast", "--size", "48", "--backend", "torch", "--seconds", "0.3", "--frames", "6",
                "--temporal", "flow", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert "cores" in out["machine"] and "bf16" in out["machine"]
    rows = out["rows"]
    assert rows and all(row["backend"] == "torch" and row["size"] == "86x48" for row in rows)
    for row in rows:
        assert row["model_fps"] > 0 and row["e2e_fps"] > 0 and row["temporal"] == "flow"
        assert row["temporal_ms"] > 0 and 0 < row["temporal_share"] < 1
    native = native_bf16()
    if native is not None:  # both precisions where the CPU has native bf16, else fp32 only
        assert sorted(row["precision"] for row in rows) == (["bfloat16", "float32"] if native else ["float32"])


def test_bench_precisions_follow_the_device():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert bench.bench_precisions(cpu, ["bf16"]) == ["bf16"] and bench.bench_precisions(cuda) == ["fp16"]
    with mock.patch.object(bench, "cpu_has_bf16", return_value=True):
        assert bench.bench_precisions(cpu) == bench.bench_precisions(cpu, ["auto"]) == ["fp32", "bf16"]
    with mock.patch.object(bench, "cpu_has_bf16", return_value=False):
        assert bench.bench_precisions(cpu) == ["fp32"]


@pytest.mark.skipif(not HAS_ORT, reason="needs the optional extra vidstyle[onnx]")
def test_bench_onnxruntime_row_as_json():
    r = run_cli("bench", "--model", "fast", "--size", "48", "--backend", "onnxruntime", "--seconds", "0.3", "--json")
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)["rows"]
    assert row["backend"] == "onnxruntime" and row["size"] == "86x48" and row["model_fps"] > 0
    assert row["precision"] == "float32" and "e2e_fps" not in row


def test_onnxruntime_backend_refuses_adain():
    with pytest.raises(VidstyleError, match="fast"):
        bench.run_bench(["adain"], [32], backends=("onnxruntime",), e2e=False, seconds=0.1, quiet=True)


def test_unknown_backend_is_a_one_line_error():
    r = run_cli("bench", "--backend", "tensorrt")
    assert r.returncode != 0 and "invalid choice" in r.stderr and "Traceback" not in r.stderr
