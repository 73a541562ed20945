"""`vidstyle webcam` as a user runs it, with a video file standing in for the camera."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, default_sigint, run_cli
from media_files import make_video, probe


def test_missing_camera_is_one_line_saying_how_to_pick_another():
    r = run_cli("webcam", "--camera", "/dev/video97", "--no-preview", timeout=60)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vidstyle: error: cannot open --camera /dev/video97")
    assert "--camera 1" in lines[0] and "video file" in lines[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="no display is made here by unsetting DISPLAY")
def test_no_preview_and_no_other_output_is_an_error_here(tmp_path):
    clip = make_video(str(tmp_path / "cam.mp4"), n=5, size=(64, 48), audio=None)
    r = run_cli("webcam", "--camera", clip, "--model", "adain", timeout=60, env={"DISPLAY": "", "WAYLAND_DISPLAY": ""})
    assert r.returncode == 2 and "no preview" in r.stderr and "--no-preview" in r.stderr
    assert "vidstyle serve" in r.stderr  # the browser preview that needs no GUI build
    assert "Traceback" not in r.stderr


def test_ctrl_c_ends_cleanly_with_the_recording_finalized(tmp_path):
    # 60 s of camera: a loaded machine may take many seconds to start, and the clip must outlast that
    clip = make_video(str(tmp_path / "cam.mp4"), n=1800, size=(64, 48), rate=30, audio=None)
    out = str(tmp_path / "rec.mp4")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "vidstyle", "webcam", "--camera", clip, "--model", "adain",
                             "--size", "32", "--no-preview", "--record", out, "--temporal", "flow"],
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
                            preexec_fn=default_sigint)
    try:
        lines = []
        while not any("outputs: record" in ln for ln in lines):
            line = proc.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
        time.sleep(1.5)  # a few frames' time
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, rest
    assert "(interrupted)" in rest and "capture->output latency p50" in rest
    sent = re.search(r"record: (\d+) sent, (\d+) dropped", rest)
    assert sent and int(sent[1]) > 0, rest
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".part.mp4")]
    info = probe(out)
    assert info["frames"] == int(sent[1]) and info["size"] == (64, 48)  # every frame sent is in the file


def test_temporal_defaults_to_flow_for_files_and_cameras():
    """Live mode uses the same default as files now that flow keeps 30 fps (vidstyle bench --live)."""
    from vidstyle.cli.main import build_parser

    p = build_parser()
    assert p.parse_args(["webcam"]).temporal == "flow"
    assert p.parse_args(["file", "in.mp4", "out.mp4"]).temporal == "flow"
