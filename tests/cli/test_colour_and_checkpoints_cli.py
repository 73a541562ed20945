"""`--preserve-color` and `--model FILE.pth` (fast_neural_style checkpoints) in image, file and webcam, as a
user runs them."""
import os

import av
import numpy as np
import pytest
import torch
from conftest import ROOT, run_cli
from johnson_files import example_checkpoint, reference
from media_files import make_video, probe
from PIL import Image
from test_bad_input import assert_one_line_error

from vidstyle.models.colour import rgb_to_ycbcr

IGNORED = "is a per-style network (its style is in its weights): --style is ignored"


def chroma(rgb: np.ndarray) -> torch.Tensor:
    """uint8 (..., H, W, 3) -> Cb, Cr in 0-255 units, (N, 2, H, W)."""
    x = torch.from_numpy(rgb.reshape(-1, *rgb.shape[-3:]).copy()).permute(0, 3, 1, 2).float() / 255
    return rgb_to_ycbcr(x)[:, 1:] * 255


def frames(path: str) -> np.ndarray:
    with av.open(path) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> tuple[str, dict]:
    path = str(tmp_path_factory.mktemp("ckpt") / "candy.pth")
    return path, example_checkpoint(path)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> str:
    return make_video(str(tmp_path_factory.mktemp("clip") / "in.mp4"), n=4, size=(64, 48), audio=None)


def test_image_luma_keeps_the_photos_chroma(tmp_path, ckpt):
    src = str(tmp_path / "photo.png")
    Image.open(os.path.join(ROOT, "samples", "photo_chameleon.jpg")).convert("RGB").resize((96, 72)).save(src)
    out = str(tmp_path / "out.png")
    r = run_cli("image", src, out, "--model", ckpt[0], "--preserve-color", "luma", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    got, want = np.asarray(Image.open(out)), np.asarray(Image.open(src))
    assert float((chroma(got) - chroma(want)).abs().max()) < 0.5
    assert np.abs(got.astype(int) - want).mean() > 5  # and stylized


def test_image_with_a_checkpoint_ignores_style_and_says_so(tmp_path, ckpt):
    path, sd = ckpt
    src, out = str(tmp_path / "in.png"), str(tmp_path / "out.png")
    rgb = np.random.default_rng(0).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(src)
    style = os.path.join(ROOT, "samples", "painting_hokusai_great_wave_off_kanagawa.jpg")
    r = run_cli("image", src, out, "--model", path, "--style", style, "--precision", "fp32", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    assert r.stderr.count(IGNORED) == 1 and "style candy" in r.stderr and "(per-style network)" in r.stderr
    want = reference(sd, torch.from_numpy(rgb).permute(2, 0, 1)[None].float()).clamp(0, 255).round()
    assert np.abs(np.asarray(Image.open(out)).astype(float) - want[0].permute(1, 2, 0).numpy()).max() <= 1


def test_file_with_a_checkpoint_and_luma(tmp_path, ckpt, clip):
    out = str(tmp_path / "out.mp4")
    r = run_cli("file", clip, out, "--model", ckpt[0], "--preserve-color", "luma", "--temporal", "off",
                "--device", "cpu", "-q")
    assert r.returncode == 0, r.stderr
    assert IGNORED not in r.stderr  # no --style given: nothing to warn about
    assert probe(out)["frames"] == 4
    got, want = frames(out), frames(clip)
    plain = reference(ckpt[1], torch.from_numpy(want).permute(0, 3, 1, 2).float()).clamp(0, 255).round()
    plain = plain.permute(0, 2, 3, 1).numpy().astype(np.uint8)  # what the network alone gives
    diff, diff_plain = (chroma(got) - chroma(want)).abs().mean(), (chroma(plain) - chroma(want)).abs().mean()
    assert float(diff) < 4 and float(diff) < float(diff_plain) / 8, (diff, diff_plain)  # H.264 4:2:0 costs some
    assert np.abs(got.astype(int) - want).mean() > 5


def test_webcam_with_a_checkpoint_and_match(tmp_path, ckpt, clip):
    out = str(tmp_path / "rec.mp4")
    r = run_cli("webcam", "--camera", clip, "--no-preview", "--record", out, "--model", ckpt[0],
                "--preserve-color", "match", "--temporal", "off", "--device", "cpu", timeout=120)
    assert r.returncode == 0, r.stderr
    assert "1 style(s)" in r.stderr  # one network, one style: no bundled styles to switch through
    assert "its style is in the network, so the content's colours are kept with luma instead" in r.stderr
    assert probe(out)["frames"] >= 1


@pytest.mark.parametrize("argv, words", [
    (["image", "a.png", "b.png", "--preserve-color", "chroma"], ("--preserve-color", "luma", "match")),
    (["file", "a.mp4", "b.mp4", "--preserve-color"], ("--preserve-color",)),
])
def test_bad_preserve_color_is_one_line(argv, words):
    r = run_cli(*argv)
    assert r.returncode == 2
    assert_one_line_error(r, *words)
