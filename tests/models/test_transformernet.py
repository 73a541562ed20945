"""pytorch/examples fast_neural_style checkpoints (``--model candy.pth``): the exact file format loads, the
network computes Johnson's TransformerNet, and the Stylizer runs it as a per-style model."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from johnson_files import example_checkpoint, example_layout, reference

from vidstyle.api import Stylizer
from vidstyle.errors import VidstyleError
from vidstyle.models import registry

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("johnson") / "candy.pth")
    return path, example_checkpoint(path)


def test_example_checkpoint_loads_and_computes_johnsons_network(ckpt):
    path, sd = ckpt
    spec = registry.get(path)
    assert spec.meta["per_style"] and spec.name == "candy.pth" and not spec.draft
    net, trained = spec.load()
    assert trained and set(net.state_dict()) == set(example_layout())  # running stats stripped
    assert sum(p.numel() for p in net.parameters()) == 1679235
    x = torch.rand(2, 3, 32, 48) * 255
    with torch.no_grad():
        want = reference(sd, x)
        assert torch.allclose(net.transform(x), want, atol=1e-2, rtol=1e-4)
        assert float(want.std()) > 10  # a real picture, not a constant
        assert torch.allclose(net(x / 255, ()), want / 255, atol=1e-4)  # forward: [0, 1] in and out


def test_new_format_and_wrapped_checkpoints_load_too(tmp_path):
    sd = example_checkpoint(str(tmp_path / "plain.pth"), old_stats=False)
    torch.save({"state_dict": sd, "epoch": 2}, str(tmp_path / "epoch_2.model"))
    for name in ("plain.pth", "epoch_2.model"):
        net, trained = registry.get(str(tmp_path / name)).load()
        assert trained and torch.equal(net.deconv3.conv2d.bias, sd["deconv3.conv2d.bias"])


def test_stylizer_runs_the_checkpoint_per_style_with_any_frame_size(ckpt):
    path, sd = ckpt
    a = RNG.integers(0, 256, (40, 56, 3), dtype=np.uint8)
    st = Stylizer(style=a, model=path, device="cpu", precision="fp32", disk_cache=False)
    assert st.per_style and st.style_name == "candy" and "per-style" in st.model_label
    frames = RNG.integers(0, 256, (2, 32, 48, 3), dtype=np.uint8)
    out = st(frames)
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float()
    want = reference(sd, x).clamp(0, 255).round().permute(0, 2, 3, 1).numpy()
    assert np.abs(out.astype(float) - want).max() <= 1
    st.set_style(RNG.integers(0, 256, (30, 30, 3), dtype=np.uint8))  # the style image makes no difference
    assert np.array_equal(st(frames), out)
    st.set_style([(a, 0.5), (a[::-1].copy(), 0.5)])  # nor does a mix (which this model could not make)
    assert np.array_equal(st(frames), out) and st.style_name == "candy"
    odd = RNG.integers(0, 256, (1, 33, 47, 3), dtype=np.uint8)
    assert st(odd).shape == odd.shape  # padded to multiples of 4 and cropped back
    st.strength = 0.0
    assert np.abs(st(frames).astype(int) - frames).max() <= 1


@pytest.mark.parametrize("content, words", [
    (b"not a checkpoint", ("bad.pth", "not a readable PyTorch checkpoint")),
    ("missing", ("not a fast_neural_style TransformerNet", "missing conv1.conv2d.bias")),
    ("shape", ("wrong shape", "conv1.conv2d.weight")),
])
def test_foreign_files_are_one_line_errors(tmp_path, content, words):
    path = str(tmp_path / "bad.pth")
    if isinstance(content, bytes):
        open(path, "wb").write(content)
    else:
        sd = example_checkpoint(path)
        if content == "missing":
            del sd["conv1.conv2d.bias"]
        else:
            sd["conv1.conv2d.weight"] = torch.zeros(32, 3, 3, 3)
        torch.save(sd, path)
    with pytest.raises(VidstyleError) as e:
        Stylizer(model=path, device="cpu", disk_cache=False)
    assert "\n" not in str(e.value) and all(w in str(e.value) for w in words), str(e.value)


def test_missing_checkpoint_file_is_named():
    with pytest.raises(VidstyleError, match="--model nowhere/candy.pth: no such file"):
        Stylizer(model="nowhere/candy.pth", device="cpu")
