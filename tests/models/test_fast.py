"""The fast model: sizes, style code, modulation, guided upsampling, its training path and stability loss."""
import numpy as np
import pytest
import torch

from vidstyle.api import Stylizer
from vidstyle.models import fast, registry
from vidstyle.models.fast import EdgeConv, ModConv, build, guided_upsample, internal_size
from vidstyle.train.losses import affine_warp, stability_inputs, stability_loss

RNG = np.random.default_rng(0)
STYLE = RNG.integers(0, 256, (40, 56, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = build().eval()
    with torch.no_grad():  # an untrained mapper gives every style the same code: make styles matter
        for p in m.mapper.parameters():
            p.normal_(0, 0.02)
    return m


@pytest.fixture(scope="module")
def code(model):
    return model.encode_style(torch.rand(1, 3, 48, 64))


def test_registered_and_parameter_budget(model):
    assert registry.get("fast").build is build
    total = sum(p.numel() for p in model.parameters())
    per_frame = sum(p.numel() for p in model.net.parameters())
    assert 0.3e6 < total < 0.7e6 and per_frame < 0.1e6
    assert model.stride == 1


@pytest.mark.parametrize("hw", [(1, 1), (5, 7), (33, 47), (128, 128), (361, 643)])
def test_output_size_equals_input_size(model, code, hw):
    x = torch.rand(2, 3, *hw)
    with torch.no_grad():
        y = model(x, code)
    assert y.shape == x.shape and torch.isfinite(y).all()


def test_internal_size_caps_the_short_side():
    assert internal_size(360, 640, 360) == (360, 640)
    assert internal_size(720, 1280, 360) == (360, 640)
    assert internal_size(1080, 1920, 360) == (360, 640)
    assert internal_size(33, 47, 360) == (32, 48)
    assert internal_size(1, 1, 360) == (4, 4)


def test_style_code_shapes_and_styles_differ(model, code):
    mean, std, scales = code
    assert mean.shape == std.shape == (1, 64, 1, 1) and scales.shape == (1, 320)
    assert (std > 0).all()
    other = model.encode_style(torch.rand(1, 3, 48, 64) * 0.3)
    assert not torch.allclose(other[0], mean)


def test_alpha_zero_returns_the_content(model, code):
    x = torch.rand(1, 3, 24, 40)
    with torch.no_grad():
        assert torch.equal(model(x, code, alpha=0.0), x)
        half = model(x, code, alpha=0.5)
        full = model(x, code)
    assert torch.allclose(half, (x + full) / 2, atol=1e-6)


@pytest.mark.parametrize("hw, fixes", [((24, 40), 1), ((100, 160), 1), ((368, 380), 3)])
def test_batch_chunks_match_a_single_pass(model, code, monkeypatch, hw, fixes):
    """Frames under the edge fix's minimum, frames at the internal size (one ``fix_edges`` call for the
    batch), resized frames (one call per chunk)."""
    monkeypatch.setattr(fast, "CHUNK_PIXELS", hw[0] * hw[1] * 2)  # two of these frames per call
    x = torch.rand(5, 3, *hw)
    with torch.no_grad():
        single = torch.cat([model(f[None], code) for f in x])
        chunks, calls, real = [], [], fast.fix_edges
        monkeypatch.setattr(fast, "fix_edges", lambda y, x_low: calls.append(1) or real(y, x_low))
        chunked = model(x, code, stats_filter=lambda m, s: chunks.append(m.shape[0]) or (m, s))
    assert chunks == [2, 2, 1] and len(calls) == fixes
    assert torch.allclose(chunked, single, atol=5e-4)  # float rounding by batch size: 2e-4 (a mix-up gives 0.1+)


def test_folded_modulation_equals_per_sample_scaling():
    torch.manual_seed(0)
    conv, x, s = ModConv(8, 4, 1), torch.randn(3, 8, 5, 5), torch.rand(1, 8) + 0.5
    assert torch.allclose(conv(x, s), conv(x, s.expand(3, 8)), atol=1e-5)
    assert torch.allclose(conv(x, None), conv(x, torch.ones(1, 8)), atol=1e-6)


def test_replicate_padding_equals_padding_the_input_and_goes_with_the_weights(tmp_path):
    torch.manual_seed(0)
    conv = EdgeConv(6, 6, 3, 1, 1, groups=6)
    conv.padding_mode = "replicate"
    x = torch.randn(2, 6, 7, 9, requires_grad=True)
    ref = torch.nn.functional.conv2d(torch.nn.functional.pad(x, (1, 1, 1, 1), mode="replicate"), conv.weight,
                                     conv.bias, groups=6)
    y = conv(x)
    assert torch.allclose(y, ref, atol=1e-5)
    g = torch.randn_like(y)
    grads = [torch.autograd.grad((out * g).sum(), x, retain_graph=True)[0] for out in (y, ref)]
    assert torch.allclose(*grads, atol=1e-5)
    with torch.inference_mode():
        assert torch.allclose(conv(x.detach()), ref, atol=1e-5)  # the in-place path
    modes = lambda m: {n: c.padding_mode for n, c in m.named_modules() if isinstance(c, EdgeConv)}  # noqa: E731
    rep, v1 = modes(build(padding="replicate")), modes(registry.MODELS["fast-v1"].build(None))
    assert {n for n, v in rep.items() if v == "replicate"} == {f"net.encoder.res{i}.{ab}.dw" for i in (1, 2)
                                                              for ab in "ab"}
    assert set(v1.values()) == set(modes(build()).values()) == {"zeros"}  # the default, and the first weights
    from safetensors.torch import save_file

    state = build(padding="replicate").state_dict()
    assert build(state).net.padding == "zeros"  # weights that do not say were trained with zeros
    for meta, mode in (({"model": "fast"}, "zeros"), ({"model": "fast", "padding": "replicate"}, "replicate")):
        save_file(state, tmp_path / "w.safetensors", metadata=meta)
        assert registry.MODELS["fast"].load(str(tmp_path / "w.safetensors"))[0].net.padding == mode


def test_stats_filter_hook(model, code):
    x = torch.rand(2, 3, 40, 72)
    with torch.no_grad():
        plain = model(x, code)
        same = model(x, code, stats_filter=lambda m, s: (m, s))
        brighter = model(x, code, stats_filter=lambda m, s: (m * 0.5, s))
    assert torch.allclose(plain, same, atol=1e-6) and not torch.allclose(plain, brighter)


def test_guided_upsampling_brings_back_the_detail():
    x = torch.rand(1, 1, 64, 96).expand(1, 3, 64, 96)  # grey, fine detail everywhere
    x_low = torch.nn.functional.interpolate(x, size=(32, 48), mode="bilinear", antialias=True)
    plain = torch.nn.functional.interpolate(x_low, size=(64, 96), mode="bilinear")
    guided = guided_upsample(x_low, x_low, x)  # the "stylization" is the identity: detail should come back
    assert (guided - x).abs().mean() < 0.5 * (plain - x).abs().mean()


def test_stylizer_runs_fast_for_odd_sizes_and_encodes_the_style_once(monkeypatch):
    st = Stylizer(style=STYLE, model="fast", device="cpu", precision="fp32", disk_cache=False)
    frames = RNG.integers(0, 256, (2, 33, 47, 3), dtype=np.uint8)
    calls = []
    for name in ("encode_style", "style_stats"):  # the encoder's pass (codes are made from the statistics)
        real = getattr(st.net, name)
        monkeypatch.setattr(st.net, name, lambda x, real=real: calls.append(1) or real(x))
    assert st(frames).shape == frames.shape
    assert st(frames[0]).shape == frames.shape[1:]
    st.set_style(STYLE)
    assert calls == []  # cached when the Stylizer was built
    st.set_style(STYLE[::-1].copy())
    assert calls == [1]


def test_stability_loss_zero_for_equal_outputs_positive_otherwise():
    rng = np.random.default_rng(0)
    c = torch.rand(2, 3, 32, 32)
    c2, theta, valid = stability_inputs(c, rng)
    assert c2.shape == c.shape and 0.5 < valid.mean() <= 1.0
    assert 0.005 < (c2 - affine_warp(c, theta)).std() < 0.02  # the noise
    out = torch.rand(2, 3, 32, 32)
    assert stability_loss(affine_warp(out, theta), out, theta, valid) == 0
    assert stability_loss(affine_warp(out, theta) + 0.1, out, theta, valid) == pytest.approx(0.1, rel=1e-4)
    _, theta_b, _ = stability_inputs(c, np.random.default_rng(0))
    assert torch.equal(theta, theta_b)  # a function of the generator's seed


def test_training_steps_change_the_weights_and_resume_exactly(tmp_path):
    from PIL import Image

    from vidstyle.train.loop import TrainConfig, train

    for kind in ("content", "style"):
        (tmp_path / kind).mkdir()
        for i in range(3):
            Image.fromarray(RNG.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(tmp_path / kind / f"{i}.png")

    def run(out, steps, resume=None, model="fast", distill=0.0):
        return train(TrainConfig(model=model, content=[str(tmp_path / "content")], style=[str(tmp_path / "style")],
                                 size=32, batch=2, steps=steps, out=str(tmp_path / out), resume=resume, device="cpu",
                                 precision="fp32", checkpoint_every=1e9, preview_every=100, quiet=True,
                                 distill_weight=distill))

    rec = run("a.pt", 2)
    assert rec["stability"] > 0 and np.isfinite(rec["loss"])  # on by default for fast
    run("b.pt", 1)
    run("b.pt", 2, resume=str(tmp_path / "b.pt"))
    a, b = (torch.load(tmp_path / n, weights_only=False)["model"] for n in ("a.pt", "b.pt"))
    torch.manual_seed(0)  # the loop seeds torch with cfg.seed = 0 before building the model
    fresh = build().state_dict()
    assert set(a) == set(fresh)
    assert any(not torch.equal(fresh[k], a[k]) for k in fresh)
    assert all(torch.equal(a[k], b[k]) for k in a)

    rec = run("d.pt", 2, distill=50.0)  # the same run plus the pull towards the shipped adain's features
    assert 0 < rec["distill"] and np.isfinite(rec["distill"])
    d = torch.load(tmp_path / "d.pt", weights_only=False)["model"]
    assert any(not torch.equal(a[k], d[k]) for k in a)
    with pytest.raises(ValueError, match="end-to-end"):
        run("e.pt", 1, model="adain", distill=1.0)


def test_context_branch_starts_at_zero_and_is_found_from_the_weights(model, code):
    plain = model.state_dict()
    wide = build(context=True)
    missing, unexpected = wide.load_state_dict(plain, strict=False)
    assert not unexpected and missing and all(k.startswith(fast.CONTEXT_PREFIX) for k in missing)
    x = torch.rand(1, 3, 96, 160)
    with torch.no_grad():
        assert torch.equal(wide(x, code), model(x, code))  # a zero residual until trained
        wide.net.decoder.context.out.weight.normal_(0, 0.1)
        changed = wide(x, code)
    assert (changed - model(x, code)).abs().max() > 1e-3
    again = build(wide.state_dict(), padding=wide.net.padding)  # the keys say it has the branch
    assert again.net.decoder.context is not None and build(plain).net.decoder.context is None
    with torch.no_grad():
        assert torch.equal(again(x, code), changed)
    extra = sum(p.numel() for p in wide.net.parameters()) - sum(p.numel() for p in model.net.parameters())
    assert extra < 0.03e6


def test_context_branch_widens_the_receptive_field(code):
    """A change in one corner reaches ~75 px farther with the branch than without (with fixed
    content statistics: AdaIN's whole-frame mean and std would carry it everywhere)."""
    torch.manual_seed(1)
    wide = build(context=True, edge_fix=False).eval()
    with torch.no_grad():
        wide.net.decoder.context.out.weight.normal_(0, 0.3)
        plain = build(wide.state_dict(), edge_fix=False)
        plain.net.decoder.context = None
        x = torch.rand(1, 3, 256, 256)
        y = x.clone()
        y[..., :8, :8] = 1 - y[..., :8, :8]
        reach = {}

        def fixed(mean, std):
            return torch.zeros_like(mean), torch.ones_like(std)

        for name, m in (("plain", plain), ("wide", wide)):
            diff = (m(x, code, stats_filter=fixed) - m(y, code, stats_filter=fixed)).abs().amax((0, 1))
            reach[name] = int(torch.nonzero(diff > 0)[:, 1].max())
    assert reach["plain"] < 64 and reach["wide"] > reach["plain"] + 60, reach
