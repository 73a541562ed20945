"""Fuzz (slow lane: python -m pytest -m fuzz): hundreds of seeded mutations of a small clip (truncated, bytes
flipped, spans zeroed or repeated). Each run must end with a valid output file or a one-line error, never a
traceback or a hang, and never leave a file behind."""
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT
from media_files import make_video, probe

pytestmark = pytest.mark.fuzz
CASES = 200
TIMEOUT_S = 60


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    b = bytearray(data)
    kind = rng.integers(4)
    if kind == 0:  # cut anywhere
        return bytes(b[: rng.integers(1, len(b))])
    if kind == 1:  # flip a few bytes
        for i in rng.integers(0, len(b), rng.integers(1, 64)):
            b[i] ^= int(rng.integers(1, 256))
    elif kind == 2:  # zero a span
        start = int(rng.integers(len(b)))
        b[start:start + int(rng.integers(1, 4096))] = bytes(min(len(b) - start, 4096))[: len(b[start:start + 4096])]
    else:  # repeat a span
        start, n = int(rng.integers(len(b))), int(rng.integers(1, 2048))
        b[start:start] = b[start:start + n]
    return bytes(b)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> list[bytes]:
    folder = tmp_path_factory.mktemp("seeds")
    return [open(make_video(str(folder / f"seed{ext}"), n=20, size=(64, 48), audio="aac"), "rb").read()
            for ext in (".mp4", ".mkv")]


def test_mutated_inputs_end_cleanly(tmp_path, seeds):
    rng = np.random.default_rng(2026)
    env = dict(os.environ, PYTHONPATH=ROOT)
    outcomes = {"output": 0, "error": 0}
    for case in range(CASES):
        folder = tmp_path / f"c{case}"
        folder.mkdir()
        ext = (".mp4", ".mkv")[case % 2]
        src = folder / f"in{ext}"
        src.write_bytes(mutate(seeds[case % 2], rng))
        out = folder / "out.mp4"
        cmd = [sys.executable, "-m", "vidstyle", "file", str(src), str(out), "--size", "32", "--temporal", "off",
               "-q"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, env=env)
        where = f"case {case} ({src}): {r.stderr[-600:]}"
        assert "Traceback" not in r.stderr, where
        if r.returncode == 0:
            assert probe(str(out))["frames"] >= 1, where
            outcomes["output"] += 1
        else:
            errors = [ln for ln in r.stderr.splitlines() if ln.startswith("vidstyle: error:")]
            assert r.returncode in (1, 2) and len(errors) == 1 and not out.exists(), where
            outcomes["error"] += 1
        assert sorted(os.listdir(folder)) == sorted([src.name] + (["out.mp4"] if out.exists() else [])), where
    print(outcomes)
    assert outcomes["output"] > 0 and outcomes["error"] > 0
