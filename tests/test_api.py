"""The Stylizer API: sizes, types, style caching, options."""
import numpy as np
import pytest
import torch

from vidstyle.api import Stylizer
from vidstyle.errors import VidstyleError
from vidstyle.runtime.tensors import pad_to_multiple

RNG = np.random.default_rng(0)
STYLE = RNG.integers(0, 256, (40, 56, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def st():
    return Stylizer(style=STYLE, model="adain", device="cpu", precision="fp32", disk_cache=False)


@pytest.mark.parametrize("hw", [(33, 47), (32, 32), (17, 90)])
def test_output_size_equals_input_size(st, hw):
    frames = RNG.integers(0, 256, (2, *hw, 3), dtype=np.uint8)
    out = st(frames)
    assert out.shape == frames.shape and out.dtype == np.uint8


def test_frames_come_out_contiguous():
    """C-contiguous frames, also from fast's guided upsampling above 360 px: OpenCV and PyAV would copy
    strided frames at every step (3 ms a frame in the flow stage at 854x480)."""
    s = Stylizer(style=STYLE, model="fast", device="cpu", precision="fp32", disk_cache=False)
    out = s(RNG.integers(0, 256, (2, 400, 480, 3), dtype=np.uint8))
    assert out.shape == (2, 400, 480, 3) and out.flags["C_CONTIGUOUS"]


def test_single_image_and_tensor_inputs(st):
    img = RNG.integers(0, 256, (24, 40, 3), dtype=np.uint8)
    assert st(img).shape == img.shape
    y = st(torch.rand(1, 3, 24, 40))
    assert y.shape == (1, 3, 24, 40) and y.dtype == torch.float32
    assert float(y.min()) >= 0 and float(y.max()) <= 1


def test_out_hw_and_processing_size():
    s = Stylizer(style=STYLE, model="adain", device="cpu", precision="fp32", size=16, disk_cache=False)
    assert s(RNG.integers(0, 256, (1, 48, 64, 3), dtype=np.uint8), out_hw=(30, 40)).shape == (1, 30, 40, 3)


def test_batch_matches_single_frames(st):
    frames = RNG.integers(0, 256, (3, 24, 32, 3), dtype=np.uint8)
    batched = st(frames).astype(int)
    single = np.stack([st(f) for f in frames]).astype(int)
    assert np.abs(batched - single).max() <= 1


def test_style_is_encoded_once(monkeypatch):
    s = Stylizer(style=STYLE, model="adain", device="cpu", precision="fp32", disk_cache=False)
    calls = []
    for name in ("encode_style", "style_stats"):  # the encoder's pass (codes are made from the statistics)
        real = getattr(s.net, name)
        monkeypatch.setattr(s.net, name, lambda x, real=real: calls.append(1) or real(x))
    s.set_style(STYLE)
    s(RNG.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8))
    s(RNG.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8))
    assert calls == []  # cached in memory from the constructor
    s.set_style(STYLE[::-1].copy())
    assert calls == [1]


def test_disk_cache_survives_a_new_stylizer(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDSTYLE_CACHE", str(tmp_path))
    a = Stylizer(style=STYLE, model="adain", device="cpu", precision="fp32")
    files = list((tmp_path / "styles").iterdir())
    assert len(files) == 1
    calls = []
    for name in ("encode_style", "style_stats"):  # the encoder's pass: the second Stylizer must not make it
        real = getattr(type(a.net), name)
        monkeypatch.setattr(type(a.net), name, lambda net, x, real=real, name=name: calls.append(name) or real(net, x))
    b = Stylizer(style=STYLE, model="adain", device="cpu", precision="fp32")
    assert calls == []
    for x, y in zip(a.style_code, b.style_code):
        assert torch.equal(x, y)


def test_strength_changes_output_and_is_validated(st):
    img = RNG.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    full = st(img)
    st.strength = 0.0
    none = st(img)
    st.strength = 1.0
    assert np.abs(full.astype(int) - none.astype(int)).mean() > 0.5
    with pytest.raises(VidstyleError):
        st.strength = 1.5


def test_bad_arguments():
    with pytest.raises(VidstyleError, match="unknown model"):
        Stylizer(style=STYLE, model="nope")
    with pytest.raises(VidstyleError, match="fp16 needs CUDA"):
        Stylizer(style=STYLE, model="adain", device="cpu", precision="fp16")
    with pytest.raises(VidstyleError, match="RGB uint8"):
        Stylizer(style=np.zeros((8, 8), np.uint8), model="adain")


def test_pad_to_multiple_reflects_and_keeps_size():
    x = torch.arange(2 * 3 * 5 * 7, dtype=torch.float32).view(2, 3, 5, 7)
    y, hw = pad_to_multiple(x, 8)
    assert y.shape == (2, 3, 8, 8) and hw == (5, 7)
    assert torch.equal(y[..., :5, :7], x)
    assert torch.equal(y[..., 5, :7], x[..., 3, :])  # reflection of the row above the edge


def test_top_level_api():
    import vidstyle

    assert vidstyle.Stylizer is Stylizer
    with pytest.raises(AttributeError):
        _ = vidstyle.nothing_here


def test_a_per_style_network_runs_for_its_painting_only(tmp_path, monkeypatch):
    from safetensors.torch import save_file

    from vidstyle.models import registry
    from vidstyle.styles import image_key

    rng = np.random.default_rng(0)
    painting = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    other = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    state = {k: v.clone() for k, v in registry.get("fast").load()[0].state_dict().items()}
    state["net.decoder.head.bias"] += 0.3  # a visibly different network
    folder = tmp_path / "vidstyle" / "weights" / "styles" / "fast"
    folder.mkdir(parents=True)
    save_file({k: v.half().contiguous() for k, v in state.items()}, str(folder / "mine.safetensors"),
              metadata={"style_key": image_key(painting)})
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    st = Stylizer(style=painting, model="fast", device="cpu", precision="fp32", disk_cache=False)
    assert st.style_code.net.startswith("mine-") and st.model_label == "fast (per-style network)"
    frame = rng.integers(0, 256, (32, 48, 3), dtype=np.uint8)
    own = st(frame)
    plain = Stylizer(style=painting, model="fast", device="cpu", precision="fp32", disk_cache=False)
    monkeypatch.setattr(plain.runner, "style_nets", {})
    plain.set_style(painting)
    assert plain.style_code.net == "" and np.abs(own.astype(int) - plain(frame)).mean() > 20
    st.set_style(other)
    assert st.style_code.net == "" and st.model_label == "fast"
    st.set_style(painting)
    st.preserve_color = "match"  # the painting's colours matched to the frame: a new style, the model's own network
    matched = st(frame)
    assert st.state.matched[1].net == "" and np.abs(matched.astype(int) - own).mean() > 20
