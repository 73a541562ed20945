"""--tile and --tile-overlap: checked up front, passed through by file, image and webcam, and a tiled image
run end to end."""
import os

import numpy as np
import pytest
from conftest import run_cli
from PIL import Image
from test_bad_input import assert_one_line_error

from vidstyle.cli import args
from vidstyle.cli.main import build_parser


@pytest.mark.parametrize("flag, value, words", [
    ("--tile", "10", ("--tile", "64 to 8192")), ("--tile", "huge", ("--tile", "64 to 8192")),
    ("--tile-overlap", "-1", ("--tile-overlap", "0 to 4096")),
])
def test_tile_flags_are_checked(tmp_path, flag, value, words):
    r = run_cli("image", "in.png", str(tmp_path / "o.png"), flag, value)
    assert r.returncode == 2
    assert_one_line_error(r, *words)


@pytest.mark.parametrize("argv", [["file", "in.mp4", "out.mp4"], ["image", "in.png", "out.png"], ["webcam"]])
def test_every_command_passes_the_tile_options_through(argv):
    a = build_parser().parse_args(argv + ["--model", "fast", "--device", "cpu", "--tile", "96",
                                          "--tile-overlap", "16"])
    st = args.stylizer(a)
    assert (st.tile, st.tile_overlap) == (96, 16)
    assert build_parser().parse_args(argv).tile == "auto"


def test_a_tiled_image_run(tmp_path):
    rng = np.random.default_rng(0)
    src = tmp_path / "in.png"
    Image.fromarray(rng.integers(0, 256, (96, 200, 3), dtype=np.uint8)).save(src)
    out = tmp_path / "out.png"
    r = run_cli("--debug", "image", str(src), str(out), "--model", "adain", "--device", "cpu", "--tile", "64",
                "--tile-overlap", "16")
    assert r.returncode == 0, r.stderr
    assert "in tiles of 64 px (overlap 16)" in r.stderr  # the --debug log says it tiled
    assert Image.open(out).size == (200, 96) and sorted(os.listdir(tmp_path)) == ["in.png", "out.png"]
