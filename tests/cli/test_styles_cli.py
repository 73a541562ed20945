"""The style library through the real CLI, in a temporary data folder: add, list, groups, show, rm, and
--style NAME / random / group:K / mixes in `image`, `file` and `webcam`. Most runs call the entry point
``vidstyle.cli.main.main`` in this process (a new process costs seconds of imports on a 2-core machine); one
`image --style random` run goes through ``python -m vidstyle``."""
import contextlib
import io
import os
import re
import signal
import subprocess
from unittest import mock

import numpy as np
import pytest
from conftest import run_cli
from media_files import make_video
from PIL import Image

from vidstyle.cli.main import main
from vidstyle.library.sheet import CAPTION_H, CELL_H, CELL_W, TITLE_H


def vidstyle(*argv: str, env: dict) -> subprocess.CompletedProcess:
    """``vidstyle ARGV`` in this process with ``env`` set: its exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    with mock.patch.dict(os.environ, env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(list(argv))
        except SystemExit as e:  # argparse errors
            rc = e.code
        finally:
            for s, h in handlers.items():
                signal.signal(s, h)
    return subprocess.CompletedProcess(argv, rc, out.getvalue(), err.getvalue())


def warm(h: int, w: int, seed: int) -> np.ndarray:
    """A smooth red-orange picture."""
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    r = 200 + 40 * np.sin(6 * x + seed)
    return np.stack([r, 90 + 60 * y, 30 + 20 * x], -1).clip(0, 255).astype(np.uint8)


def cold(h: int, w: int, seed: int) -> np.ndarray:
    """Blue-green noise."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, 40, (h, w)), rng.integers(60, 160, (h, w)), rng.integers(150, 256, (h, w))],
                    -1).astype(np.uint8)


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    """A library of two warm and two cold styles; returns (env, folder)."""
    root = tmp_path_factory.mktemp("lib")
    env = {"XDG_DATA_HOME": str(root / "data"), "VIDSTYLE_CACHE": str(root / "cache")}
    for name, rgb in [("warm1", warm(60, 80, 0)), ("warm2", warm(72, 64, 2)), ("cold1", cold(64, 64, 1)),
                      ("cold2", cold(56, 80, 3))]:
        Image.fromarray(rgb).save(root / f"{name}.png")
    r = vidstyle("styles", "add", *[str(root / f"{n}.png") for n in ("warm1", "warm2", "cold1", "cold2")], env=env)
    assert r.returncode == 0, r.stderr
    return env, root


def library_names(stdout: str) -> dict[str, str]:
    """{name: the rest of its line} from the library part of `styles list`."""
    part = stdout.split("style library", 1)[1].splitlines()[1:]
    return {ln.split()[0]: ln for ln in part if ln.startswith("  ")}


def test_list_keeps_models_and_bundled_styles_and_adds_the_library(lib):
    env, root = lib
    r = vidstyle("styles", env=env)
    assert r.returncode == 0 and r.stdout == vidstyle("styles", "list", env=env).stdout
    assert "models:" in r.stdout and "fast" in r.stdout and "bundled styles" in r.stdout
    names = library_names(r.stdout)
    assert set(names) == {"warm1", "warm2", "cold1", "cold2"}
    assert "80x60" in names["warm1"] and str(root / "warm1.png") in names["warm1"]
    codes = os.listdir(os.path.join(env["XDG_DATA_HOME"], "vidstyle", "library", "codes"))
    for model in ("adain", "fast"):  # per model, each style's code and statistics (fast's: the group features)
        assert len([c for c in codes if c.startswith(model + "-") and not c.endswith("-stats.pt")]) == 4
        assert len([c for c in codes if c.startswith(model + "-") and c.endswith("-stats.pt")]) == 4


def test_groups_put_similar_styles_together_and_group_k_picks_from_its_group(lib, tmp_path):
    env, root = lib
    r = vidstyle("styles", "list", "--groups", "2", env=env)
    assert r.returncode == 0, r.stderr
    group = {n: re.search(r"group (\d)", line).group(1) for n, line in library_names(r.stdout).items()}
    assert group["warm1"] == group["warm2"] != group["cold1"] == group["cold2"]
    assert group["cold1"] == "1"  # groups are numbered by their first name: cold1 < warm1
    r = vidstyle("image", str(root / "warm1.png"), str(tmp_path / "o.png"), "--style", "group:2", "--size", "32",
                env=env)
    assert r.returncode == 0, r.stderr
    picked = re.search(r"--style group:2: (\w+)", r.stderr).group(1)
    assert picked in ("warm1", "warm2") and f"style {picked}.png" in r.stderr
    r = vidstyle("image", str(root / "warm1.png"), str(tmp_path / "p.png"), "--style", "group:3", env=env)
    assert r.returncode == 2 and "groups 1 to 2" in r.stderr and not os.path.exists(tmp_path / "p.png")


def test_show_writes_a_sheet_by_group(lib, tmp_path):
    env, _ = lib
    out = str(tmp_path / "sheet.jpg")
    r = vidstyle("styles", "show", out, "--groups", "2", env=env)
    assert r.returncode == 0, r.stderr
    with Image.open(out) as im:
        assert im.format == "JPEG" and im.size == (2 * CELL_W, 2 * (TITLE_H + CELL_H + CAPTION_H))
    r = vidstyle("styles", "show", out, env=env)
    assert r.returncode == 2 and "output exists" in r.stderr


def test_names_random_and_mixes_in_image_file_and_webcam(lib, tmp_path):
    env, root = lib
    photo = str(root / "cold2.png")
    r = run_cli("image", photo, str(tmp_path / "r.png"), "--style", "random", "--size", "32", env=env)
    assert r.returncode == 0, r.stderr
    assert re.search(r"--style random: (\w+)", r.stderr).group(1) in ("warm1", "warm2", "cold1", "cold2")
    clip = make_video(str(tmp_path / "in.mp4"), n=3, audio=None)
    r = vidstyle("file", clip, str(tmp_path / "o.mp4"), "--style", "warm1:0.7,cold1:0.3", "--size", "32", env=env)
    assert r.returncode == 0, r.stderr
    assert "style warm1.png 0.70 + cold1.png 0.30" in r.stderr
    r = vidstyle("webcam", "--camera", clip, "--no-preview", "--record", str(tmp_path / "rec.mp4"), "--size", "32",
                "--style", "group:1", "warm1,warm2", "--temporal", "off", env=env)
    assert r.returncode == 0, r.stderr
    assert "3 style(s)" in r.stderr  # group 1 (both cold styles, remembered from --groups 2) and a mix


def test_library_codes_are_used_without_encoding_again(lib, tmp_path):
    env, root = lib
    env = dict(env, VIDSTYLE_CACHE=str(tmp_path / "empty-cache"))
    r = vidstyle("image", str(root / "warm1.png"), str(tmp_path / "o.png"), "--style", "cold1", "--size", "32",
                env=env)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(tmp_path / "empty-cache" / "styles")  # nothing was encoded: the library had it


def test_add_refuses_bad_and_taken_names(lib):
    env, root = lib
    for argv, words in [(["--name", "bad:name"], "bad style name"), (["--name", "random"], "bad style name"),
                        ([], "already has a style 'warm1'")]:
        r = vidstyle("styles", "add", str(root / "warm1.png"), *argv, env=env)
        assert r.returncode == 2 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = vidstyle("styles", "add", str(root / "nope.png"), env=env)
    assert r.returncode == 2 and "not found" in r.stderr


def test_rm_removes_the_style_and_its_files(tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "VIDSTYLE_CACHE": str(tmp_path / "cache")}
    Image.fromarray(warm(40, 48, 5)).save(tmp_path / "w.png")
    assert vidstyle("styles", "add", str(tmp_path / "w.png"), "--name", "w", env=env).returncode == 0
    library = tmp_path / "data" / "vidstyle" / "library"
    assert len(os.listdir(library / "codes")) == 4 and os.listdir(library / "images") == ["w.png"]
    r = vidstyle("styles", "rm", "w", env=env)
    assert r.returncode == 0, r.stderr
    assert os.listdir(library / "codes") == [] and os.listdir(library / "images") == []
    assert "style library: empty" in vidstyle("styles", env=env).stdout
    r = vidstyle("styles", "rm", "w", env=env)
    assert r.returncode == 2 and "no style named 'w'" in r.stderr
    r = vidstyle("image", str(tmp_path / "w.png"), str(tmp_path / "o.png"), "--style", "random", "--size", "32",
                env=env)  # an empty library: random picks a bundled painting
    assert r.returncode == 0 and re.search(r"--style random: painting_\w+", r.stderr), r.stderr
