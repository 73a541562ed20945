"""Optimisation-quality stills (Gatys et al. with L-BFGS): a few steps lower the loss, its style term too; the
Gram normalisation is the documented one; progress shows step, loss, s/step and ETA; the CLI writes the
output at the input's size and never clobbers it."""
import io
import os

import numpy as np
import pytest
import torch
from conftest import run_cli
from PIL import Image

from vidstyle import optimize as O
from vidstyle.models.vgg import VGG19Encoder
from vidstyle.runtime.progress import Progress


def _image(h: int, w: int, seed: int) -> torch.Tensor:
    """A smooth photo-like (1, 3, h, w) RGB in [0, 1]: colour gradients plus a few blobs."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    x = torch.stack([yy, xx, 1 - yy * xx])
    for _ in range(4):
        cy, cx, r = torch.rand(3, generator=g)
        blob = torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (0.05 * r + 0.01))
        x = x + 0.5 * torch.rand(3, 1, 1, generator=g) * blob
    return (x / x.amax()).clamp(0, 1)[None]


def _stripes(h: int, w: int) -> torch.Tensor:
    """A style with strong texture and other colours: diagonal orange/blue stripes, (1, 3, h, w)."""
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    on = ((yy + xx) // 4 % 2).float()
    return torch.stack([0.9 * on + 0.1, 0.5 * on + 0.2, 0.8 * (1 - on) + 0.1])[None]


@pytest.fixture(scope="module")
def vgg():
    return VGG19Encoder(last="relu5_1", padding="reflect")


def test_gram_is_divided_by_channels_and_positions():
    f = torch.full((1, 8, 5, 7), 3.0)
    assert torch.allclose(O.gram(f), torch.full((1, 8, 8), 9.0 / 8))


def test_a_mix_of_styles_targets_the_weighted_gram_matrices(vgg):
    content, a, b = _image(32, 32, 0), _image(48, 48, 1), _stripes(48, 48)
    loss = lambda style: O.GatysLoss(vgg, content, style, style_short_side=48)  # noqa: E731
    mixed, la, lb = loss([(a, 0.25), (b, 0.75)]), loss(a), loss(b)
    for tap, g in mixed.style_targets.items():
        assert torch.allclose(g, 0.25 * la.style_targets[tap] + 0.75 * lb.style_targets[tap], rtol=1e-4, atol=1e-9)


def test_a_few_lbfgs_steps_lower_the_loss_and_its_style_term(vgg):
    content, style = _image(48, 64, 2), _stripes(64, 64)
    loss_fn = O.GatysLoss(vgg, content, style, style_short_side=64)
    seen = []
    out = O.optimize(loss_fn, content, steps=12, on_step=seen.append)
    assert len(seen) == 12 and out.shape == content.shape
    assert 0.0 <= out.min() and out.max() <= 1.0
    with torch.no_grad():
        start, end = loss_fn(content), loss_fn(out)
    assert end["total"] < 0.75 * start["total"], (start, end)  # real progress, not a nudge
    assert end["style"] < 0.75 * start["style"], (start, end)
    assert start["content"] == 0 and end["content"] > 0  # started at the content; moved away for the style


@pytest.mark.heavy
def test_bf16_autocast_steps_make_real_progress_near_fp32s(vgg):
    content, style = _image(48, 64, 2), _stripes(64, 64)
    fp32 = O.GatysLoss(vgg, content, style, style_short_side=64)
    bf16 = O.GatysLoss(vgg, content, style, style_short_side=64, dtype=torch.bfloat16)
    start = float(fp32(content)["total"])
    ends = [float(fp32(O.optimize(f, content, steps=12).detach())["total"]) for f in (fp32, bf16)]
    assert ends[1] < 0.75 * start and ends[1] < 1.5 * ends[0], (start, ends)  # 1.25x here; 1.01x at 192 px


def test_the_vgg_precision_is_bf16_unless_fp32_was_asked_for():
    cpu = torch.device("cpu")
    assert O.vgg_dtype(torch.float32, cpu) == torch.float32
    assert O.vgg_dtype(torch.bfloat16, cpu) == O.vgg_dtype(torch.float16, cpu) == torch.bfloat16


def test_progress_line_shows_step_loss_seconds_per_step_and_eta():
    out = io.StringIO()
    progress = Progress(10, unit="steps", every=0.0, stream=out)
    on_step = O.progress_printer(progress)
    for total in (5e5, 4e5, 3e5):
        on_step({"total": total, "style": 1e-5, "content": 2.0, "tv": 1e-3})
    line = out.getvalue().strip().splitlines()[-1]
    assert line.startswith(" 30.0% 3/10 steps")
    for word in ("ETA", "loss 3e+05", "s/step"):
        assert word in line, line


def assert_one_line_error(r, *words: str) -> None:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vidstyle: error:"), r.stderr
    assert all(w in lines[0] for w in words), r.stderr


def _png(path, h: int, w: int, seed: int) -> str:
    x = (_image(h, w, seed)[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    Image.fromarray(x).save(path)
    return str(path)


def test_cli_writes_the_optimised_image_and_never_clobbers(tmp_path):
    src, style = _png(tmp_path / "in.png", 36, 52, 3), _png(tmp_path / "style.png", 40, 40, 4)
    out = tmp_path / "out.png"
    r = run_cli("image", src, str(out), "--model", "adain", "--style", style, "--optimize", "--steps", "3",
                "--device", "cpu")
    assert r.returncode == 0, r.stderr
    assert "3 optimisation steps" in r.stderr
    assert Image.open(out).size == (52, 36)
    before = out.read_bytes()
    r = run_cli("image", src, str(out), "--model", "adain", "--style", style, "--optimize", "--steps", "3")
    assert r.returncode != 0 and out.read_bytes() == before
    assert_one_line_error(r, "exists")
    assert sorted(os.listdir(tmp_path)) == ["in.png", "out.png", "style.png"]


@pytest.mark.parametrize("flag, value", [("--steps", "5"), ("--style-weight", "1e11")])
def test_optimiser_flags_without_optimize_are_refused(tmp_path, flag, value):
    r = run_cli("image", "a.png", str(tmp_path / "b.png"), flag, value)
    assert r.returncode == 2
    assert_one_line_error(r, flag, "--optimize")


def test_eval_measures_the_optimiser_beside_its_start_on_the_same_pairs(tmp_path, capsys):
    import argparse
    import json

    from vidstyle.cli import eval as eval_cmd

    (tmp_path / "c").mkdir(), (tmp_path / "s").mkdir()
    _png(tmp_path / "c" / "a.png", 40, 48, 5)
    _png(tmp_path / "s" / "b.png", 40, 40, 6)
    ap = argparse.ArgumentParser(prog="vidstyle")
    eval_cmd.register(ap.add_subparsers())
    a = ap.parse_args(["eval", "--content", str(tmp_path / "c"), "--style", str(tmp_path / "s"), "--pairs", "1",
                       "--size", "40", "--model", "adain", "--optimize", "4", "--device", "cpu", "--json", "-q"])
    assert a.func(a) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["optimize"] == 4 and set(r["methods"]) == {"model", "optimized", "reinhard", "identity"}
    assert r["methods"]["optimized"]["style_loss"] < r["methods"]["model"]["style_loss"]  # it improved on its start


def test_preserve_color_luma_keeps_the_photos_chroma():
    from vidstyle.models.colour import rgb_to_ycbcr

    content, style = _image(32, 40, 7), _stripes(48, 48)
    out = O.stylize(content, style, content, steps=6, preserve_color="luma")
    chroma = lambda x: rgb_to_ycbcr(x)[:, 1:]  # noqa: E731
    assert (chroma(out) - chroma(content)).abs().mean() < 0.01
    assert (out - content).abs().mean() > 0.002  # while the luminance did change
