import argparse
import json
import os

import av
import cv2
import numpy as np
import pytest
from conftest import ROOT
from PIL import Image

from vidstyle.cli import eval as eval_cmd
from vidstyle.data import is_holdout
from vidstyle.errors import VidstyleError
from vidstyle.eval import sheet as contact
from vidstyle.eval.images import draw_pairs
from vidstyle.eval.report import format_table
from vidstyle.eval.video import SHEET_PAIRS
from vidstyle.models.vgg import TAPS


def texture(h, w, seed=0, blur=3.0):
    noise = np.random.default_rng(seed).random((h, w, 3)).astype(np.float32)
    t = cv2.GaussianBlur(noise, (0, 0), blur)
    return ((t - t.min()) / (t.max() - t.min()) * 255).round().astype(np.uint8)


def eval_cli(argv):
    """Parse ``vidstyle eval ARGV`` with the sub-parser ``register`` adds, and run it."""
    ap = argparse.ArgumentParser(prog="vidstyle")
    eval_cmd.register(ap.add_subparsers())
    args = ap.parse_args(["eval", *argv])
    return args.func(args)


def write_video(path, frames, fps=10):
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.height, s.width = frames[0].shape[:2]
        s.pix_fmt = "yuv420p"
        for f in frames:
            c.mux(s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        c.mux(s.encode())


@pytest.fixture(autouse=True)
def style_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDSTYLE_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def folders(tmp_path):
    content, style = tmp_path / "content", tmp_path / "style"
    content.mkdir(), style.mkdir()
    for i in range(2):
        Image.fromarray(texture(72, 96, seed=i)).save(content / f"c{i}.png")
        Image.fromarray(texture(64, 64, seed=10 + i, blur=1.0)).save(style / f"s{i}.jpg")
    return str(content), str(style)


def test_image_mode_json_and_sheet(folders, tmp_path, capsys):
    sheet = tmp_path / "sheet.png"
    rc = eval_cli(["--content", folders[0], "--style", folders[1], "--pairs", "2", "--size", "64", "--json",
                   "--device", "cpu", "--precision", "fp32", "--sheet", str(sheet), "-q"])
    assert rc == 0
    r = json.loads(capsys.readouterr().out)
    assert r["mode"] == "image" and r["pairs"] == 2 and r["model"] == "adain" and len(r["pair_list"]) == 2
    assert set(r["methods"]) == {"model", "reinhard", "identity"}
    for m in r["methods"].values():
        assert set(m) == {"style_score", "ratios", "swd_score", "swd_ratios", "style_loss", "content_loss", "ssim",
                          "border", "border_worst", "lines", "lines_worst"}
        assert m["border_worst"] >= m["border"]
        assert m["lines"] is None and m["lines_worst"] is None  # 64 px: too small for the edge line score
        assert list(m["ratios"]) == list(TAPS)
    ident = r["methods"]["identity"]
    assert ident["style_score"] == 1.0 and set(ident["ratios"].values()) == {1.0}
    assert ident["swd_score"] == 1.0 and list(ident["swd_ratios"]) == list(TAPS)
    assert r["methods"]["reinhard"]["swd_ratios"]["relu1_1"] < 1.0
    assert ident["content_loss"] == 0.0 and ident["ssim"] == pytest.approx(1.0)
    assert r["methods"]["reinhard"]["ratios"]["relu1_1"] < 1.0  # colour transfer moves the colour statistics
    with Image.open(sheet) as im:
        assert im.size == (4 * contact.THUMB_W, contact.HEADER_H + 2 * contact.THUMB_H)


def test_image_mode_table(folders, capsys):
    assert eval_cli(["--content", folders[0], "--style", folders[1], "--pairs", "1", "--size", "64",
                     "--device", "cpu", "--precision", "fp32", "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "1 pair," in lines[0] and lines[1].split() == ["score", *TAPS, "swd", "style", "content", "ssim",
                                                       "border", "border_max"]
    assert [ln.split()[0] for ln in lines[2:]] == ["adain", "reinhard", "identity"]


def test_draw_pairs_is_seeded_distinct_and_honours_holdout(tmp_path):
    content, style = tmp_path / "c", tmp_path / "s"
    content.mkdir(), style.mkdir()
    names = [f"img{i}.png" for i in range(60)]
    for n in names:
        (content / n).touch()
    (style / "a.png").touch()
    pairs = draw_pairs(str(content), str(style), 10, holdout=None, seed=3)
    assert pairs == draw_pairs(str(content), str(style), 10, holdout=None, seed=3)
    assert len(set(pairs)) == 10 and pairs != draw_pairs(str(content), str(style), 10, None, seed=4)
    assert len(draw_pairs(str(content), str(style), 500, None, 0)) == 60  # all pairs, no repeats
    held = {"img12.png"}  # the fixed 1-in-20 subset (by the names' SHA-1) that the shipped weights never saw
    assert {n for n in names if is_holdout(n)} == held
    with pytest.raises(VidstyleError, match="hold-out"):  # a.png is no hold-out style
        draw_pairs(str(content), str(style), 5, holdout="files", seed=0)
    (style / "a.png").rename(style / next(iter(held)))
    pairs = draw_pairs(str(content), str(style), 100, holdout="files", seed=0)
    assert {os.path.basename(c) for c, _ in pairs} == held
    with pytest.raises(VidstyleError, match="held-out collections"):  # no MANIFEST.tsv, so no held-out source
        draw_pairs(str(content), str(style), 5, holdout="sources", seed=0)


def test_holdout_by_source_reads_the_manifest(folders, capsys):
    content, style = folders
    header = "file\tsource\tpath_in_source\tlicense\toriginal_size\n"
    with open(os.path.join(content, "MANIFEST.tsv"), "w") as f:
        f.write(header + "c0.png\tgithub other/photos@1\tc0.png\tunknown\t9x9\n"
                "c1.png\tgithub lightly-ai/coco128_yolo@2af16ea\tc1.png\tunknown\t9x9\n")
    with open(os.path.join(style, "MANIFEST.tsv"), "w") as f:
        f.write(header + "s0.jpg\tgithub irinainina/image-data@5b1\tfull/0.jpg\tunknown\t9x9\n")
    assert eval_cli(["--content", content, "--style", style, "--holdout", "sources", "--pairs", "4", "--size", "64",
                     "--device", "cpu", "--precision", "fp32", "--model", "fast", "-q", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["holdout"] == "sources" and r["pair_list"] == [["c1.png", "s0.jpg"]]
    assert format_table(r).startswith("1 pair, hold-out by source,")


def test_bare_holdout_is_by_file(folders):
    ap = argparse.ArgumentParser(prog="vidstyle")
    eval_cmd.register(ap.add_subparsers())
    parse = lambda *a: ap.parse_args(["eval", "--content", folders[0], "--style", folders[1], *a])  # noqa: E731
    assert parse("--holdout", "--pairs", "3").holdout == "files" and parse().holdout is None
    with pytest.raises(SystemExit):
        parse("--holdout", "collections")


def test_image_mode_bad_input(folders, tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(VidstyleError, match="not a readable image"):
        eval_cli(["--content", folders[0], "--style", str(tmp_path / "notes.txt")])
    with pytest.raises(VidstyleError, match="--content must name folders or files"):
        eval_cli(["--content", str(tmp_path / "missing"), "--style", folders[1]])
    with pytest.raises(SystemExit):
        eval_cli(["--content", folders[0], "--style", folders[1], "--pairs", "0"])


def test_image_mode_takes_files_and_a_second_model(folders, capsys):
    files = [os.path.join(folders[1], n) for n in sorted(os.listdir(folders[1]))[:2]]
    assert eval_cli(["--content", folders[0], "--style", *files, "--pairs", "2", "--size", "48", "--json", "-q",
                     "--model", "fast", "--compare", "adain", "--device", "cpu", "--precision", "fp32"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert set(r["methods"]) == {"model", "compare", "reinhard", "identity"} and r["compare"] == "adain"
    assert {s for _, s in r["pair_list"]} <= {os.path.basename(f) for f in files}


def test_image_mode_takes_library_names(folders, tmp_path, monkeypatch, capsys):
    from vidstyle.library.store import add_styles

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    style = os.path.join(folders[1], "s1.jpg")
    add_styles([style], ["mine"], device="cpu", precision="fp32")
    assert eval_cli(["--content", folders[0], "--style", "mine", "--pairs", "2", "--size", "48", "--json", "-q",
                     "--model", "fast", "--device", "cpu", "--precision", "fp32"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert len(r["pair_list"]) == 2 and {s for _, s in r["pair_list"]} == {"mine.jpg"}
    with pytest.raises(VidstyleError, match="nothere"):
        eval_cli(["--content", folders[0], "--style", "nothere", "--size", "48", "-q"])


@pytest.fixture
def videos(tmp_path):
    big = texture(48, 96, seed=20, blur=4.0)
    frames = [big[:, 2 * t: 2 * t + 64] for t in range(8)]
    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 256, f.shape, dtype=np.uint8) for f in frames]
    paths = {k: tmp_path / f"{k}.mp4" for k in ("input", "noise")}
    write_video(paths["input"], frames)
    write_video(paths["noise"], noise)
    return {k: str(p) for k, p in paths.items()}


def test_video_mode(videos, tmp_path, capsys):
    style = tmp_path / "style.png"
    Image.fromarray(texture(64, 64, seed=5, blur=1.0)).save(style)
    assert eval_cli(["--video", videos["input"], "--input", videos["input"], "--style", str(style), "--json",
                     "--device", "cpu", "-q"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["mode"] == "video" and r["frames"] == 8 and set(r["methods"]) == {"output", "input"}
    out, inp = r["methods"]["output"], r["methods"]["input"]
    assert out["warping_error"] == inp["warping_error"] < 2e-3
    assert out["style_score"] == 1.0 and out["content_loss"] == 0.0 and out["style_loss"] > 0

    assert eval_cli(["--video", videos["noise"], "--input", videos["input"], "--max-frames", "5"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("5 frames") and "warp_err" in text and "score" not in text
    e_out, e_in = (float(ln.split()[1]) for ln in text.splitlines()[2:4])
    assert e_out > 20 * e_in


def test_video_mode_sheet_shows_where_it_flickers(videos, tmp_path, capsys):
    """--sheet in video mode: 6 rows of input | output | flicker map; the map of the input against itself is
    dark, that of per-frame noise bright."""
    level = {}
    for k in ("input", "noise"):
        sheet = tmp_path / f"{k}.png"
        assert eval_cli(["--video", videos[k], "--input", videos["input"], "--sheet", str(sheet), "-q"]) == 0
        im = np.asarray(Image.open(sheet).convert("L"))
        assert im.shape == (contact.HEADER_H + SHEET_PAIRS * contact.THUMB_H, 3 * contact.THUMB_W)
        rows = im[contact.HEADER_H:].reshape(SHEET_PAIRS, contact.THUMB_H, -1)
        y0, x0 = (contact.THUMB_H - 48) // 2, 2 * contact.THUMB_W + (contact.THUMB_W - 64) // 2
        level[k] = rows[:, y0:y0 + 48, x0:x0 + 64].mean()  # the 64 x 48 flicker maps, centred in their cells
    capsys.readouterr()
    assert level["input"] < 40 < 100 < level["noise"], level


def test_video_mode_bad_input(videos, tmp_path):
    with pytest.raises(VidstyleError, match="not found"):
        eval_cli(["--video", str(tmp_path / "missing.mp4"), "--input", videos["input"]])
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    with pytest.raises(VidstyleError, match="not a readable video"):
        eval_cli(["--video", str(bad), "--input", videos["input"]])
    with pytest.raises(VidstyleError, match="needs both"):
        eval_cli(["--video", videos["input"]])


def test_video_mode_on_a_real_clip(capsys):
    clip = os.path.join(ROOT, "samples", "video_big_buck_bunny_excerpt.mp4")
    assert eval_cli(["--video", clip, "--input", clip, "--max-frames", "4", "--json", "-q"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["frames"] == 4 and 0 < r["methods"]["input"]["warping_error"] < 0.01
