"""`vidstyle export`: the fast model with a baked style as TorchScript (always) and ONNX (when installed)."""
import argparse
import importlib.util
import warnings

import numpy as np
import pytest
import torch

from vidstyle import export
from vidstyle.cli import export as export_cmd
from vidstyle.models.fast import build

SIZES = [(1, 96, 110), (2, 100, 128), (1, 380, 500)]  # below and above the internal size: dynamic N, H, W


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "context"])
def model_and_code(request):
    torch.manual_seed(0)
    m = build(context=request.param).eval()
    with torch.no_grad():
        for p in m.mapper.parameters():
            p.normal_(0, 0.02)
        if request.param:  # the wide-context branch of per-style networks, away from its zero start
            m.net.decoder.context.out.weight.normal_(0, 0.1)
    return m, m.encode_style(torch.rand(1, 3, 48, 64))


@pytest.fixture(scope="module")
def baked(model_and_code):
    m, code = model_and_code
    return export.Baked(m.net, code).eval()


def reference(model_and_code, x):
    m, code = model_and_code
    with torch.no_grad():
        return m(x, code).clamp(0, 1)


def test_baked_matches_the_model(model_and_code, baked):
    for n, h, w in SIZES:
        x = torch.rand(n, 3, h, w)
        with torch.no_grad():
            assert (baked(x) - reference(model_and_code, x)).abs().max() < 1e-4


def test_torchscript_round_trip_with_dynamic_sizes(model_and_code, baked, tmp_path):
    path = export.export(baked, str(tmp_path / "fast.pt"), "torchscript")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        loaded = torch.jit.load(path)
    for n, h, w in SIZES:
        x = torch.rand(n, 3, h, w)
        with torch.no_grad():
            assert (loaded(x) - reference(model_and_code, x)).abs().mean() < 1 / 255


@pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in ("onnx", "onnxscript", "onnxruntime")),
                    reason="needs the optional extra vidstyle[onnx]")
def test_onnx_matches_pytorch_with_dynamic_sizes(model_and_code, baked, tmp_path):
    import onnxruntime as ort

    path = export.export(baked, str(tmp_path / "fast.onnx"), "onnx")
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for n, h, w in SIZES:
        x = torch.rand(n, 3, h, w)
        y = session.run(None, {"input": x.numpy()})[0]
        assert y.shape == (n, 3, h, w)
        assert np.abs(y - reference(model_and_code, x).numpy()).mean() < 1 / 255


def test_cli_subcommand_bakes_a_style(tmp_path):
    ap = argparse.ArgumentParser()
    export_cmd.register(ap.add_subparsers())
    out = tmp_path / "styled.pt"
    with pytest.raises(SystemExit):
        ap.parse_args(["export", str(out), "--style", str(tmp_path / "missing.jpg")])
    a = ap.parse_args(["export", str(out)])
    assert a.func(a) == 0 and out.stat().st_size > 100_000
    with pytest.raises(SystemExit):
        ap.parse_args(["export", str(out), "--format", "tflite"])


def test_a_style_mix_is_baked_as_the_stylizer_mixes_it(tmp_path):
    from PIL import Image

    from vidstyle.api import Stylizer

    rng = np.random.default_rng(3)
    warm = rng.integers(0, 255, (40, 48, 3)) * np.array([1.0, 0.5, 0.1])  # warm noise
    stripes = np.array([20, 40, 200]) * (np.arange(48) // 4 % 2)[None, :, None] + np.zeros((40, 1, 1))  # blue stripes
    for name, rgb in (("a", warm), ("b", stripes)):
        Image.fromarray(rgb.astype(np.uint8)).save(tmp_path / f"{name}.png")
    ap = argparse.ArgumentParser()
    export_cmd.register(ap.add_subparsers())
    out = tmp_path / "mix.pt"
    a = ap.parse_args(["export", str(out), "--style", f"{tmp_path / 'a.png'}:0.7,{tmp_path / 'b.png'}:0.3"])
    assert a.func(a) == 0
    x = torch.rand(1, 3, 96, 120)
    st = Stylizer(style=a.style, model="fast", device="cpu", precision="fp32", disk_cache=False)
    pure = Stylizer(style=str(tmp_path / "a.png"), model="fast", device="cpu", precision="fp32", disk_cache=False)
    with torch.no_grad():
        got = torch.jit.load(str(out))(x)
    assert torch.allclose(got, st(x).clamp(0, 1), atol=2 / 255)
    assert (got - pure(x).clamp(0, 1)).abs().mean() > 2 / 255  # the mix, not style a alone
