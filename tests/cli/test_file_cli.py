"""End-to-end `vidstyle file` runs on real small videos made with PyAV (audio, odd size, VFR, rotation)."""
import os
from fractions import Fraction

import pytest
from conftest import run_cli
from media_files import make_video, probe


def stylize(tmp_path, src: str, out_name: str, *extra: str) -> tuple[dict, dict, str]:
    out = str(tmp_path / out_name)
    r = run_cli("file", src, out, "--size", "32", "-q", *extra)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return probe(src), probe(out), r.stderr


def assert_same_timing(a: dict, b: dict, frame: float) -> None:
    assert b["frames"] == a["frames"]
    assert b["times"] == pytest.approx(a["times"], abs=1e-3)
    if a["audio_duration"] and b["audio_duration"]:
        assert abs(b["audio_duration"] - a["audio_duration"]) <= frame


def test_cfr_with_aac_is_copied(tmp_path):
    src = make_video(str(tmp_path / "in.mp4"), n=15, size=(64, 48), rate=25, audio="aac")
    a, b, _ = stylize(tmp_path, src, "out.mp4")
    assert_same_timing(a, b, 1 / 25)
    assert b["size"] == (64, 48)
    assert b["audio"] == "aac"
    assert b["rate"] == pytest.approx(25.0)
    assert abs(b["video_duration"] - a["video_duration"]) <= 1 / 25


def test_vfr_odd_size_pcm_audio_is_transcoded_to_aac(tmp_path):
    pts = [0, 3, 5, 9, 20, 21, 30, 40, 41, 55]
    src = make_video(str(tmp_path / "in.mkv"), n=len(pts), size=(65, 49), pts=pts, time_base=Fraction(1, 100),
                     audio="pcm_s16le", codec="ffv1", pix_fmt="yuv444p")
    a, b, err = stylize(tmp_path, src, "out.mp4")
    assert_same_timing(a, b, 0.04)
    assert b["size"] == (64, 48)  # 4:2:0 needs even sizes: one pixel cropped
    assert b["audio"] == "aac" and b["audio_duration"] > 0.5
    assert "transcoding" in err


def test_mkv_output_copies_pcm_audio(tmp_path):
    src = make_video(str(tmp_path / "in.mkv"), n=6, audio="pcm_s16le", codec="ffv1", pix_fmt="yuv444p")
    _, b, _ = stylize(tmp_path, src, "out.mkv")
    assert b["frames"] == 6 and b["audio"] == "pcm_s16le"


def test_rotation_tag_is_kept(tmp_path):
    src = make_video(str(tmp_path / "in.mp4"), n=5, rotation=90, audio=None)
    a, b, _ = stylize(tmp_path, src, "out.mp4")
    assert a["rotation"] == 90 and b["rotation"] == 90
    assert b["size"] == a["size"] and b["audio"] is None


def test_webm_gets_vp9_and_opus(tmp_path):
    src = make_video(str(tmp_path / "in.mp4"), n=8, audio="aac")
    out = str(tmp_path / "out.webm")
    r = run_cli("file", src, out, "--size", "32", "-q")
    assert r.returncode == 0, r.stderr
    import av

    with av.open(out) as c:
        assert c.streams.video[0].codec_context.name == "vp9"
        assert c.streams.audio[0].codec_context.name == "opus"
        assert sum(1 for _ in c.decode(video=0)) == 8


def test_out_size_and_summary_line(tmp_path):
    src = make_video(str(tmp_path / "in.mp4"), n=5, audio=None)
    out = str(tmp_path / "out.mp4")
    r = run_cli("file", src, out, "--size", "32", "--out-size", "96x64")
    assert r.returncode == 0, r.stderr
    assert probe(out)["size"] == (96, 64)
    last = r.stderr.strip().splitlines()[-1]
    assert "5 frames" in last and "fps" in last


def test_no_temporary_files_left(tmp_path):
    src = make_video(str(tmp_path / "in.mp4"), n=4, audio=None)
    stylize(tmp_path, src, "out.mp4")
    assert sorted(os.listdir(tmp_path)) == ["in.mp4", "out.mp4"]


def test_extra_streams_are_dropped_with_a_notice(tmp_path):
    import av
    import numpy as np

    src = str(tmp_path / "two_audio.mkv")
    make_video(src, n=5, audio="aac", codec="ffv1", pix_fmt="yuv444p")
    remuxed = str(tmp_path / "in.mkv")
    with av.open(src) as i, av.open(remuxed, "w") as o:  # add a second audio track with its own tone
        streams = {s.index: o.add_stream_from_template(s) for s in i.streams}
        extra = o.add_stream("flac", rate=44100, layout="mono")
        for p in i.demux():
            if p.dts is not None:
                p.stream = streams[p.stream.index]
                o.mux(p)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 4096), np.int16), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 44100, 0
        o.mux(extra.encode(frame))
        o.mux(extra.encode(None))
    out = str(tmp_path / "out.mkv")
    r = run_cli("file", remuxed, out, "--size", "32")
    assert r.returncode == 0, r.stderr
    assert "dropping streams #2 audio" in r.stderr
    with av.open(out) as c:
        assert len(c.streams.audio) == 1 and len(c.streams.video) == 1
