"""Ctrl-C, SIGTERM and SIGHUP (a plain kill, `timeout`, a closed terminal) all clean up: no half-written file,
recordings finalized, training checkpoints whole; files left by a killed run are removed by the next one."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from conftest import ROOT, default_sigint
from media_files import make_video, probe
from PIL import Image

SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


def start(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.Popen([sys.executable, "-m", "vidstyle", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, preexec_fn=default_sigint)


def wait_for(cond, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not cond():
        time.sleep(0.05)
    assert cond(), "timed out"


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_file_run_stopped_by_a_signal_leaves_nothing(tmp_path, sig):
    """adain (the slow model) keeps the run going long enough to be stopped mid-way."""
    src = make_video(str(tmp_path / "in.mp4"), n=400, size=(96, 64), audio="aac")
    p = start("file", src, str(tmp_path / "o.mp4"), "--batch", "1", "--model", "adain", "-q")
    wait_for(lambda: any(".part" in n for n in os.listdir(tmp_path)))
    time.sleep(0.5)
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 128 + sig, err
    assert "Traceback" not in err and f"interrupted ({sig.name})" in err
    assert sorted(os.listdir(tmp_path)) == ["in.mp4"]


def test_image_run_stopped_by_sigterm_leaves_nothing(tmp_path, monkeypatch):
    """Stopped once its style code is cached (the model is loaded, the 2000x1500 pass begins): exit 143 leaves
    only the input, no half-written output; exit 0 (the run won the race) leaves a whole output."""
    cache, run = tmp_path / "cache", tmp_path / "run"
    run.mkdir()
    monkeypatch.setenv("VIDSTYLE_CACHE", str(cache))
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (1500, 2000, 3), dtype=np.uint8)).save(run / "a.png")
    p = start("image", str(run / "a.png"), str(run / "b.png"), "--model", "adain")
    wait_for(lambda: (cache / "styles").is_dir() and any(n.endswith(".pt") for n in os.listdir(cache / "styles")))
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert "Traceback" not in err
    if p.returncode == 128 + signal.SIGTERM:
        assert sorted(os.listdir(run)) == ["a.png"], err
    else:
        assert p.returncode == 0, err
        assert sorted(os.listdir(run)) == ["a.png", "b.png"]
        assert np.asarray(Image.open(run / "b.png")).shape == (1500, 2000, 3)  # decodes whole


def test_webcam_recording_is_finalized_on_sigterm(tmp_path):
    cam = make_video(str(tmp_path / "cam.mp4"), n=600, size=(96, 64), rate=30, audio=None)
    rec = tmp_path / "rec.mp4"
    p = start("webcam", "--camera", cam, "--no-preview", "--record", str(rec), "--size", "32", "--temporal", "off")
    wait_for(lambda: any(".part" in n for n in os.listdir(tmp_path)))
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0 and "interrupted" in err and "Traceback" not in err, err
    assert probe(str(rec))["frames"] > 5
    assert not [n for n in os.listdir(tmp_path) if ".part" in n]


def test_training_stopped_by_sighup_writes_a_whole_checkpoint(tmp_path):
    for kind in ("content", "style"):
        (tmp_path / kind).mkdir()
        for i in range(3):
            img = np.random.default_rng(i).integers(0, 256, (40, 48, 3), dtype=np.uint8)
            Image.fromarray(img).save(tmp_path / kind / f"{i}.png")
    ckpt = tmp_path / "ck" / "a.pt"
    p = start("train", "--model", "adain", "--content", str(tmp_path / "content"), "--style", str(tmp_path / "style"),
              "--size", "32", "--batch", "2", "--steps", "100000", "--out", str(ckpt), "--device", "cpu",
              "--precision", "fp32", "--checkpoint-every", "1e9")
    wait_for(lambda: os.path.exists(tmp_path / "ck" / "a.jsonl") and os.path.getsize(tmp_path / "ck" / "a.jsonl"))
    p.send_signal(signal.SIGHUP)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    ck = torch.load(ckpt, weights_only=False)
    assert ck["step"] >= 10 and f"stopped by signal {int(signal.SIGHUP)}" in out
    assert sorted(os.listdir(tmp_path / "ck")) == ["a.jsonl", "a.pt"]


def test_files_of_a_killed_run_are_removed_by_the_next(tmp_path):
    src = make_video(str(tmp_path / "in.mp4"), n=400, size=(96, 64), audio=None)
    p = start("file", src, str(tmp_path / "o.mp4"), "--batch", "1", "--model", "adain", "-q")
    wait_for(lambda: any(".part" in n for n in os.listdir(tmp_path)))
    p.kill()
    p.communicate(timeout=60)
    stale = [n for n in os.listdir(tmp_path) if ".part" in n]
    assert len(stale) == 1  # SIGKILL cannot be caught: the part file stays ...
    alive = tmp_path / f".x.mp4.vidstyle-{os.getpid()}.part.mp4"  # ... as does a running process's
    alive.write_bytes(b"in progress")
    small = make_video(str(tmp_path / "small.mp4"), n=3, size=(32, 32), audio=None)
    r = subprocess.run([sys.executable, "-m", "vidstyle", "file", small, str(tmp_path / "o2.mp4"), "-q"],
                       capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    assert r.returncode == 0, r.stderr
    assert "removed 1 unfinished file" in r.stderr
    assert sorted(os.listdir(tmp_path)) == sorted(["in.mp4", "small.mp4", "o2.mp4", alive.name])
