"""The bundled paintings' short names (starry, wave, kandinsky) work wherever a style is taken: --style values and
mixes, several --style values (webcam, serve), the Python API and the CLI; the paintings ship inside the package;
a folder given as --style is named as such."""
import fnmatch
import os

import numpy as np
import pytest
from conftest import ROOT, run_cli
from PIL import Image
from test_bad_input import assert_one_line_error

from vidstyle.api import Stylizer
from vidstyle.cli.args import style_values
from vidstyle.library.spec import Resolver, parse_style
from vidstyle.styles import BUNDLED, PAINTINGS_DIR, bundled_style, bundled_styles, default_style, image_key

PACKAGE = os.path.join(ROOT, "vidstyle")


def test_the_paintings_ship_inside_the_package():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    data = tomllib.load(open(os.path.join(ROOT, "pyproject.toml"), "rb"))["tool"]["setuptools"]["package-data"]
    paths = bundled_styles()
    assert len(paths) == len(BUNDLED) == 3 and default_style() in paths
    for path in paths:
        rel = os.path.relpath(path, PACKAGE)
        assert not rel.startswith("..") and any(fnmatch.fnmatch(rel, glob) for glob in data["vidstyle"])
        sample = os.path.join(ROOT, "samples", os.path.basename(path))  # the same picture as the sample's copy,
        if os.path.exists(sample):  # so the per-style networks (keyed by content) still find it
            assert open(sample, "rb").read() == open(path, "rb").read()


@pytest.mark.parametrize("name", ["starry", "wave", "kandinsky", "starry.jpg", "wave.png"])
def test_short_names_and_the_readme_spelling_resolve(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no such file here
    want = os.path.join(PAINTINGS_DIR, BUNDLED[os.path.splitext(name)[0]])
    assert parse_style(name) == want == bundled_style(name)


def test_a_file_and_a_library_style_come_before_a_bundled_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (8, 8)).save("starry.jpg")
    assert parse_style("starry.jpg") == "starry.jpg"
    r = Resolver()
    r.__dict__["library"] = {"wave": str(tmp_path / "mine.png")}  # a library style named wave
    assert parse_style("wave", r) == str(tmp_path / "mine.png")


def test_mixes_and_several_values_take_short_names():
    mix = parse_style("starry:0.7,wave:0.3")
    assert mix == [(bundled_style("starry"), pytest.approx(0.7)), (bundled_style("wave"), pytest.approx(0.3))]
    values = style_values(["kandinsky", "starry,wave"])  # webcam and serve
    assert values[0] == bundled_style("kandinsky") and [p for p, _ in values[1]] == [bundled_style("starry"),
                                                                                      bundled_style("wave")]


def test_the_api_takes_short_names():
    st = Stylizer(style="wave", model="fast", device="cpu", disk_cache=False)
    assert st.style_name == BUNDLED["wave"]
    assert st.model_label == "fast (per-style network)"  # the painting's own network: the same picture
    assert image_key(np.asarray(Image.open(bundled_style("wave")).convert("RGB"))) in st.runner.style_nets


def test_cli_takes_the_readme_spelling(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 40, 3), dtype=np.uint8)).save(tmp_path / "in.png")
    r = run_cli("image", str(tmp_path / "in.png"), str(tmp_path / "out.png"), "--style", "starry.jpg", "--model",
                "fast", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    assert f"style {BUNDLED['starry']}" in r.stderr


def test_a_folder_as_style_says_what_style_takes(tmp_path):
    Image.new("RGB", (40, 32)).save(tmp_path / "in.png")
    (tmp_path / "paintings").mkdir()
    r = run_cli("image", str(tmp_path / "in.png"), str(tmp_path / "out.png"), "--style", str(tmp_path / "paintings"))
    assert_one_line_error(r, "is a folder", "an image file or a library name")
    assert "not found" not in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["in.png", "paintings"]
