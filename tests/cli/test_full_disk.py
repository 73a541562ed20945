"""A full disk (ENOSPC) while writing is one line naming the output, a non-zero exit, and nothing left behind.
The disk is made full where the bytes are written (Pillow's save, the video encoder): no real disk fills up."""
import errno
import os

import numpy as np
import pytest
from media_files import make_video
from PIL import Image

from vidstyle.cli.main import main


def no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def assert_full_disk_line(capsys, rc: int, out: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1
    assert len(err) == 1 and err[0].startswith("vidstyle: error: the disk is full while writing") and out in err[0]
    assert "OSError" not in err[0] and "Errno" not in err[0]


def test_image_on_a_full_disk(tmp_path, capsys, monkeypatch):
    Image.fromarray(np.zeros((32, 40, 3), np.uint8)).save(tmp_path / "in.png")
    monkeypatch.setattr(Image.Image, "save", no_space)
    out = str(tmp_path / "out.png")
    rc = main(["image", str(tmp_path / "in.png"), out, "--model", "fast", "--device", "cpu", "-q"])
    assert_full_disk_line(capsys, rc, out)
    assert os.listdir(tmp_path) == ["in.png"]


@pytest.mark.parametrize("where", ["encode", "flush"])
def test_video_on_a_full_disk(tmp_path, capsys, monkeypatch, where):
    from vidstyle.media.encode import VideoEncoder

    clip = make_video(str(tmp_path / "in.mp4"), n=4, audio="aac")
    monkeypatch.setattr(VideoEncoder, where, no_space)
    out = str(tmp_path / "out.mp4")
    rc = main(["file", clip, out, "--model", "fast", "--size", "32", "--temporal", "off", "--device", "cpu", "-q"])
    assert_full_disk_line(capsys, rc, out)
    assert os.listdir(tmp_path) == ["in.mp4"]
