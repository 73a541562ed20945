"""Hardware decode and encode are used where they open, and fall back to the CPU codecs with one notice."""
import av
from conftest import run_cli
from media_files import make_video, probe

from vidstyle.media.hardware import nvenc_problem


def test_asked_for_hardware_codecs_the_run_succeeds_either_way(tmp_path):
    src = make_video(str(tmp_path / "in.mp4"), n=6, audio="aac")
    out = tmp_path / "o.mp4"
    r = run_cli("file", src, str(out), "--hwaccel", "on", "--encoder", "nvenc", "--size", "32")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert probe(str(out))["frames"] == 6
    with av.open(str(out)) as c:
        codec = c.streams.video[0].codec_context.name
    if nvenc_problem() is None:  # a machine with NVENC: it was used, without a fallback
        assert codec == "h264" and "encoding with x264" not in r.stderr
    else:  # elsewhere: one notice per codec, x264 output
        assert r.stderr.count("encoding with x264") == 1 and r.stderr.count("decoding on the CPU") == 1
        assert codec == "h264"
