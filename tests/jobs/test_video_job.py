"""``stylize_video``: the `vidstyle file` job as a library call, on real files, with a runner made once."""
import os

import pytest
from media_files import make_video, probe

from vidstyle.errors import VidstyleError
from vidstyle.jobs.options import VideoOptions
from vidstyle.jobs.video import stylize_video
from vidstyle.stylizer import ModelRunner


def test_one_runner_serves_several_jobs_and_each_keeps_its_file(tmp_path):
    src = make_video(str(tmp_path / "in.mp4"), n=10, size=(64, 48), audio="aac")
    runner = ModelRunner("fast", "cpu", "fp32", disk_cache=False)
    opts = VideoOptions(temporal="flow", quiet=True)
    first = stylize_video(src, str(tmp_path / "a.mp4"), opts, runner=runner)
    second = stylize_video(src, str(tmp_path / "b.mp4"), VideoOptions(strength=0.0, temporal="off", quiet=True),
                           runner=runner)
    assert first.frames == second.frames == 10
    assert first.model == "fast (per-style network)"  # the default painting has a network of its own
    for name in ("a.mp4", "b.mp4"):
        info = probe(str(tmp_path / name))
        assert info["frames"] == 10 and info["audio"] == "aac"
    with pytest.raises(VidstyleError, match="exists"):
        stylize_video(src, str(tmp_path / "a.mp4"), opts, runner=runner)
    assert sorted(os.listdir(tmp_path)) == ["a.mp4", "b.mp4", "in.mp4"]


def test_a_job_makes_its_own_runner_from_the_options(tmp_path):
    src = make_video(str(tmp_path / "in.mp4"), n=6, size=(64, 48), audio=None)
    result = stylize_video(src, str(tmp_path / "out.mp4"),
                           VideoOptions(model="fast", device="cpu", precision="fp32", size=32, out_size=(32, 24),
                                        quiet=True))
    assert result.frames == 6 and probe(str(tmp_path / "out.mp4"))["size"] == (32, 24)
