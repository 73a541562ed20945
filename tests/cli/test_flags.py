"""Every flag is checked up front: a one-line error that names the flag and its allowed range, exit 2, and
frames too large for the memory are refused with a hint to use --size, before any output is written."""
import os

import pytest
from conftest import run_cli
from media_files import make_video
from test_bad_input import assert_one_line_error


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> str:
    return make_video(str(tmp_path_factory.mktemp("clip") / "in.mp4"), n=4, audio=None)


@pytest.mark.parametrize("flag, value, words", [
    ("--batch", "0", ("--batch", "1 to 64")), ("--batch", "-3", ("--batch", "1 to 64")),
    ("--crf", "99", ("--crf", "0 to 51")), ("--preset", "nonsense", ("--preset", "veryfast")),
    ("--size", "100000", ("--size", "16 to 8192")), ("--size", "8", ("--size", "16 to 8192")),
    ("--out-size", "99999x99999", ("--out-size", "8192")), ("--out-size", "12", ("--out-size", "WIDTHxHEIGHT")),
    ("--strength", "nan", ("--strength", "[0, 1]")), ("--temporal-strength", "1", ("--temporal-strength", "[0, 1)")),
])
def test_file_flag_out_of_range(tmp_path, clip, flag, value, words):
    r = run_cli("file", clip, str(tmp_path / "o.mp4"), flag, value)
    assert r.returncode == 2
    assert_one_line_error(r, *words)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("argv, words", [
    (["webcam", "--fps", "0"], ("--fps",)), (["webcam", "--resolution", "0x0"], ("--resolution",)),
    (["bench", "--batch", "0"], ("--batch",)), (["eval", "--pairs", "0"], ("--pairs",)),
    (["train", "--content", "x", "--style", "y", "--lr", "-1"], ("--lr",)),
    (["train", "--content", "x", "--style", "y", "--style-scale", "512"], ("--style-scale", "--style-image")),
    (["train", "--content", "x", "--style-image", "y.jpg", "--gram-layers", "relu9_1"], ("--gram-layers", "relu4_1")),
    (["train", "--content", "x", "--style", "y", "--context"], ("--context", "--model fast")),
    (["train", "--content", "x", "--style", "y", "--padding", "replicate"], ("--padding", "--model fast")),
    (["image", "a.png", "b.png", "--size", "0"], ("--size",)),
])
def test_other_commands_check_their_flags(argv, words):
    r = run_cli(*argv)
    assert r.returncode == 2
    assert_one_line_error(r, *words)


def test_frames_too_large_for_the_memory_are_refused_naming_size(tmp_path, clip):
    r = run_cli("file", clip, str(tmp_path / "o.mp4"), "--model", "adain", "--size", "8192", "--device", "cpu",
                "--tile", "off")  # tiled, such frames may fit (tests/cli/test_tile_cli.py)
    assert_one_line_error(r, "GiB", "--size", "--tile")
    assert os.listdir(tmp_path) == []


def test_version_prints_the_version():
    from vidstyle import __version__

    r = run_cli("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"vidstyle {__version__}"
