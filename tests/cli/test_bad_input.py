"""Bad input: a one-line error naming the problem, a non-zero exit, no traceback, nothing overwritten."""
import os
import subprocess
import sys

import av
import numpy as np
import pytest
from conftest import ROOT, run_cli
from media_files import make_video, probe
from PIL import Image


def assert_one_line_error(r, *words: str) -> None:
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.strip().splitlines() if "untrained" not in ln]
    assert len(lines) == 1 and lines[0].startswith("vidstyle: error:"), r.stderr
    for w in words:
        assert w in lines[0], r.stderr


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> str:
    return make_video(str(tmp_path_factory.mktemp("clip") / "in.mp4"), n=6, audio="aac")


def test_missing_input(tmp_path):
    r = run_cli("file", str(tmp_path / "nope.mp4"), str(tmp_path / "o.mp4"))
    assert_one_line_error(r, "not found", "nope.mp4")


# the CLI run with os.access answering for a file without read permission as it does for any user but root
AS_A_USER = """import os, stat, sys
real = os.access
os.access = lambda p, m, **k: real(p, m, **k) and not (m & os.R_OK and stat.S_IMODE(os.stat(p).st_mode) == 0)
from vidstyle.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_unreadable_input(tmp_path, clip):
    """A file without read permission (root reads it anyway, so the run is a user's: see AS_A_USER)."""
    src = tmp_path / "locked.mp4"
    src.write_bytes(open(clip, "rb").read())
    src.chmod(0)
    r = subprocess.run([sys.executable, "-c", AS_A_USER, "file", str(src), str(tmp_path / "o.mp4")],
                       capture_output=True, text=True, timeout=120, cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")))
    assert_one_line_error(r, "not readable", "locked.mp4")
    assert sorted(os.listdir(tmp_path)) == ["locked.mp4"]


def test_input_is_a_folder(tmp_path):
    assert_one_line_error(run_cli("file", str(tmp_path), str(tmp_path / "o.mp4")), "folder")


def test_not_a_video(tmp_path):
    src = tmp_path / "notes.mp4"
    src.write_text("this is not a video\n" * 50)
    assert_one_line_error(run_cli("file", str(src), str(tmp_path / "o.mp4")), "not a video")


def test_no_video_stream(tmp_path):
    src = str(tmp_path / "audio.m4a")
    with av.open(src, "w") as out:
        a = out.add_stream("aac", rate=44100, layout="stereo")
        frame = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = 44100, 0
        out.mux(a.encode(frame))
        out.mux(a.encode(None))
    assert_one_line_error(run_cli("file", src, str(tmp_path / "o.mp4")), "no video stream")


def test_zero_frames(tmp_path):
    """A Matroska file cut right after its first cluster starts: a video stream, but no frame decodes."""
    data = open(make_video(str(tmp_path / "in.mkv"), n=3, audio=None, codec="ffv1", pix_fmt="yuv444p"), "rb").read()
    src = str(tmp_path / "empty.mkv")
    open(src, "wb").write(data[: data.find(bytes.fromhex("1F43B675")) + 40])
    r = run_cli("file", src, str(tmp_path / "o.mp4"))
    assert_one_line_error(r, "no decodable video frames")
    assert not os.path.exists(tmp_path / "o.mp4")


def test_truncated_file_keeps_what_decodes(tmp_path):
    """Decision (docs/commands.md): a damaged file is stylized as far as it decodes, with a warning, into a
    valid file."""
    src = make_video(str(tmp_path / "in.mkv"), n=40, size=(64, 48), audio=None, codec="ffv1", pix_fmt="yuv444p")
    data = open(src, "rb").read()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    out = tmp_path / "o.mp4"
    r = run_cli("file", str(cut), str(out), "--size", "32")
    assert r.returncode == 0, r.stderr
    n = probe(str(out))["frames"]
    assert 5 < n < 40


def test_style_is_not_an_image(tmp_path, clip):
    bad = tmp_path / "style.jpg"
    bad.write_text("nope")
    r = run_cli("file", clip, str(tmp_path / "o.mp4"), "--style", str(bad))
    assert_one_line_error(r, "style image", "not a readable image")
    assert not os.path.exists(tmp_path / "o.mp4")


def test_style_missing(tmp_path, clip):
    r = run_cli("file", clip, str(tmp_path / "o.mp4"), "--style", str(tmp_path / "none.jpg"))
    assert_one_line_error(r, "style image not found")


def test_output_equals_input(clip):
    before = open(clip, "rb").read()
    assert_one_line_error(run_cli("file", clip, clip, "--overwrite"), "same file as the input")
    assert open(clip, "rb").read() == before


def test_output_exists_without_overwrite(tmp_path, clip):
    out = tmp_path / "o.mp4"
    out.write_bytes(b"precious")
    assert_one_line_error(run_cli("file", clip, str(out)), "exists", "--overwrite")
    assert out.read_bytes() == b"precious"


def test_overwrite_replaces(tmp_path, clip):
    out = tmp_path / "o.mp4"
    out.write_bytes(b"old")
    r = run_cli("file", clip, str(out), "--overwrite", "--size", "32", "-q")
    assert r.returncode == 0, r.stderr
    assert probe(str(out))["frames"] == 6


def test_unwritable_output_folder(tmp_path, clip):
    r = run_cli("file", clip, str(tmp_path / "missing" / "o.mp4"))
    assert_one_line_error(r, "output folder does not exist")


def test_unknown_model(tmp_path, clip):
    assert_one_line_error(run_cli("file", clip, str(tmp_path / "o.mp4"), "--model", "picasso9000"),
                          "unknown model", "picasso9000")


@pytest.mark.parametrize("value", ["1.5", "-0.1"])
def test_strength_out_of_range(tmp_path, clip, value):
    assert_one_line_error(run_cli("file", clip, str(tmp_path / "o.mp4"), "--strength", value), "--strength")


def test_cuda_without_gpu(tmp_path, clip):
    r = run_cli("file", clip, str(tmp_path / "o.mp4"), "--device", "cuda", env={"CUDA_VISIBLE_DEVICES": ""})
    assert_one_line_error(r, "CUDA")


def test_debug_shows_traceback(tmp_path):
    r = run_cli("--debug", "file", str(tmp_path / "nope.mp4"), str(tmp_path / "o.mp4"))
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_image_bad_extension(tmp_path):
    src = tmp_path / "in.png"
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(src)
    assert_one_line_error(run_cli("image", str(src), str(tmp_path / "o.xyz")), "extension")
    assert os.listdir(tmp_path) == ["in.png"]
