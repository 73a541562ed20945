"""Hardware decode and encode are used where they open, and fall back to the CPU codecs with one notice."""
import glob

import av
from conftest import run_cli
from media_files import make_video, probe


def test_asked_for_hardware_codecs_the_run_succeeds_either_way(tmp_path):
    """Which encoder wrote the file is read from the file itself (x264 signs its stream); without an NVIDIA
    device it must be x264, after one notice per codec; with NVENC, no encoder notice."""
    src = make_video(str(tmp_path / "in.mp4"), n=6, audio="aac")
    out = tmp_path / "o.mp4"
    r = run_cli("file", src, str(out), "--hwaccel", "on", "--encoder", "nvenc", "--size", "32")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert probe(str(out))["frames"] == 6
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
    by_x264 = b"x264 - core" in out.read_bytes()
    if not glob.glob("/dev/nvidia[0-9]*"):  # no NVIDIA device: neither NVENC nor NVDEC can open
        assert by_x264
        assert r.stderr.count("decoding on the CPU") == 1
    assert r.stderr.count("encoding with x264") == (1 if by_x264 else 0), r.stderr
