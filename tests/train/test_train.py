"""Training: losses fall into place, resume is bit-exact, unreadable images are skipped, DDP runs."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import ROOT
from PIL import Image

from vidstyle.data import is_holdout, list_images
from vidstyle.train.data import ImagePool, PairSampler
from vidstyle.train.loop import TrainConfig, train


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    for kind, n in (("content", 6), ("style", 5)):
        os.makedirs(root / kind)
        for i in range(n):
            img = rng.integers(0, 256, (40 + i, 48, 3), dtype=np.uint8)
            Image.fromarray(img).save(root / kind / f"{kind}{i}.jpg")
    (root / "style" / "broken.jpg").write_bytes(b"not a jpeg")
    return root


def config(data, out, steps, resume=None, **options):
    base = dict(content=[str(data / "content")], style=[str(data / "style")], size=32, batch=2, steps=steps,
                out=str(out), resume=resume, device="cpu", precision="fp32", checkpoint_every=1e9, preview_every=2,
                log_every=1, quiet=True)
    return TrainConfig(**(base | options))


def test_resume_is_bit_exact(data, tmp_path):
    train(config(data, tmp_path / "a.pt", 4))
    train(config(data, tmp_path / "b.pt", 2))
    train(config(data, tmp_path / "b.pt", 4, resume=str(tmp_path / "b.pt")))
    a, b = torch.load(tmp_path / "a.pt", weights_only=False), torch.load(tmp_path / "b.pt", weights_only=False)
    assert a["step"] == b["step"] == 4 and a["samples"] == b["samples"] == 8
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert a["scale"] == b["scale"]
    assert torch.equal(a["optimizer"]["state"][0]["exp_avg"], b["optimizer"]["state"][0]["exp_avg"])


def test_resume_takes_the_new_learning_rate(data, tmp_path):
    train(config(data, tmp_path / "d.pt", 1))
    train(config(data, tmp_path / "d.pt", 2, resume=str(tmp_path / "d.pt"), lr=3e-5))
    ck = torch.load(tmp_path / "d.pt", weights_only=False)
    assert ck["step"] == 2 and ck["optimizer"]["param_groups"][0]["lr"] == 3e-5


def test_log_preview_and_weights_change(data, tmp_path):
    rec = train(config(data, tmp_path / "c.pt", 3))
    assert {"content", "relu1_1", "relu4_1", "samples_per_s"} <= set(rec)
    assert os.path.exists(tmp_path / "c_preview.png")
    lines = [json.loads(x) for x in open(tmp_path / "c.jsonl")]
    assert [r["step"] for r in lines] == [1, 2, 3]
    from vidstyle.models.adain import build

    torch.manual_seed(0)  # the loop seeds torch with cfg.seed = 0 before building the model
    fresh = build().decoder.state_dict()
    trained = torch.load(tmp_path / "c.pt", weights_only=False)["model"]
    assert any(not torch.equal(fresh[k], trained[k]) for k in fresh)


def test_unreadable_images_are_skipped(data, caplog):
    pool = ImagePool([(str(data / "style"), 1.0, False)], holdout=None)
    assert len(pool) == 6
    sampler = PairSampler(ImagePool([(str(data / "content"), 1.0, False)], holdout=None), pool, 32)
    for step in range(20):
        c, s = sampler.batch(step, 2)
        assert c.shape == s.shape == (2, 3, 32, 32)
    assert pool.cache[str(data / "style" / "broken.jpg")] is None
    assert "unreadable" in caplog.text


def test_sampling_is_a_function_of_step(data):
    pools = [ImagePool([(str(data / k), 1.0, False)], holdout=None) for k in ("content", "style")]
    a, b = PairSampler(*pools, 32, seed=1), PairSampler(*pools, 32, seed=1)
    assert torch.equal(a.batch(7, 2)[0], b.batch(7, 2)[0])
    assert not torch.equal(a.batch(7, 2)[0], a.batch(8, 2)[0])


def test_holdout_split_is_disjoint(data):
    names = [f"img{i}.jpg" for i in range(400)]
    held = [n for n in names if is_holdout(n)]
    assert 5 < len(held) < 40
    assert list_images(str(data / "content"), holdout=None) == sorted(
        list_images(str(data / "content"), holdout=False) + list_images(str(data / "content"), holdout="files"))


def test_training_leaves_the_held_out_collections_out(tmp_path):
    names = [f"photo{i}.jpg" for i in range(6)]
    for n in names:
        Image.fromarray(np.full((40, 48, 3), 9, np.uint8)).save(tmp_path / n)
    rows = [f"{n}\t{'github lightly-ai/coco128_yolo@2af16ea' if i < 2 else 'github other/photos@1'}\t{n}\tx\t9x9"
            for i, n in enumerate(names)]
    (tmp_path / "MANIFEST.tsv").write_text("file\tsource\tpath_in_source\tlicense\toriginal_size\n" + "\n".join(rows))
    pool = ImagePool([(str(tmp_path), 1.0, False)])
    kept = sorted(os.path.basename(p) for p in pool.groups[0]["paths"])
    assert kept == ["photo2.jpg", "photo4.jpg", "photo5.jpg"]  # neither the collection nor photo3 (1 in 20)


def test_ddp_two_cpu_processes(data, tmp_path):
    out = tmp_path / "ddp.pt"
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
           "-m", "vidstyle", "train", "--content", str(data / "content"), "--style", str(data / "style"),
           "--size", "32", "--batch", "4", "--steps", "2", "--out", str(out), "--device", "cpu",
           "--precision", "fp32", "-q"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    ck = torch.load(out, weights_only=False)
    assert ck["step"] == 2 and ck["samples"] == 8


def test_init_from_shipped_weights_continues_the_count(data, tmp_path):
    from safetensors.torch import load_file

    from vidstyle.train.ship import ship

    train(config(data, tmp_path / "a.pt", 2))
    weights = str(tmp_path / "w.safetensors")
    ship(str(tmp_path / "a.pt"), weights)
    assert "steps: 2" in open(tmp_path / "w.md").read()
    cfg = config(data, tmp_path / "b.pt", 3)
    cfg.init = weights
    train(cfg)
    ck = torch.load(tmp_path / "b.pt", weights_only=False)
    assert ck["step"] == 3 and ck["samples"] == 6  # one more step after the shipped two
    shipped = load_file(weights)
    assert all(k in ck["model"] for k in shipped)


def test_init_a_wide_context_network_from_weights_without_the_branch(data, tmp_path):
    from safetensors.torch import load_file

    from vidstyle.models import fast, registry
    from vidstyle.train.ship import ship

    train(config(data, tmp_path / "a.pt", 1, model="fast"))
    plain = str(tmp_path / "plain.safetensors")
    ship(str(tmp_path / "a.pt"), plain)
    assert registry.weights_metadata(plain)["padding"] == "zeros"
    rec = train(config(data, tmp_path / "b.pt", 2, model="fast", context=True, init=plain, padding="replicate"))
    assert rec["step"] == 2
    wide = str(tmp_path / "wide.safetensors")
    card = open(ship(str(tmp_path / "b.pt"), wide)).read()
    assert "wide-context branch" in card
    model = fast.build(load_file(wide))
    assert model.net.decoder.context is not None
    assert registry.weights_metadata(wide)["padding"] == "replicate"  # the padding goes with the weights
    assert registry.MODELS["fast"].load(wide)[0].net.padding == "replicate"
    with pytest.raises(ValueError, match="trained with --padding replicate"):
        train(config(data, tmp_path / "b.pt", 3, resume=str(tmp_path / "b.pt"), model="fast", context=True))
    assert model.net.decoder.context.out.weight.abs().max() > 0  # trained away from its zero start
    train(config(data, tmp_path / "d.pt", 1))  # adain's decoder weights do not fit fast
    ship(str(tmp_path / "d.pt"), str(tmp_path / "d.safetensors"))
    assert "padding" not in registry.weights_metadata(str(tmp_path / "d.safetensors"))  # adain: no such thing
    with pytest.raises(ValueError, match="does not fit"):
        train(config(data, tmp_path / "e.pt", 1, model="fast", context=True, init=str(tmp_path / "d.safetensors")))


def test_draft_weights_are_never_the_default_model(data, monkeypatch, tmp_path):
    from vidstyle.api import default_model_name
    from vidstyle.models import registry
    from vidstyle.train.ship import ship

    train(config(data, tmp_path / "f.pt", 1, model="fast"))
    monkeypatch.setattr(registry, "WEIGHTS_DIR", str(tmp_path))
    cpu = torch.device("cpu")
    assert default_model_name(cpu) == "adain"  # no fast weights at all
    ship(str(tmp_path / "f.pt"), str(tmp_path / "fast.safetensors"), draft=True)
    assert registry.get("fast").draft and default_model_name(cpu) == "adain"
    assert "DRAFT" in open(tmp_path / "fast.md").read()
    ship(str(tmp_path / "f.pt"), str(tmp_path / "fast.safetensors"))
    assert not registry.get("fast").draft and default_model_name(cpu) == "fast"
    assert default_model_name(torch.device("cuda")) == "adain"


def test_border_loss_sees_a_painted_frame():
    from vidstyle.train.losses import border_loss

    torch.manual_seed(0)
    content = torch.rand(2, 3, 64, 256) * 0.2 + 0.4
    assert border_loss(content, content) == 0
    graded = (content * 0.5 + 0.2)  # a colour grade changes every row alike: the edge profile hardly moves
    framed = graded.clone()
    framed[..., :, -6:-3] = 1.0  # a bright band 3-6 px inside the right edge
    assert border_loss(framed, content) > 4 * border_loss(graded, content)


def test_gram_loss_falls_to_zero_on_the_style_itself():
    from vidstyle.train.losses import RunningScale, gram, gram_losses

    torch.manual_seed(0)
    style = {"relu1_1": torch.rand(2, 8, 16, 16)}
    content = {"relu1_1": torch.rand(2, 8, 16, 16) ** 3}
    grams = {k: gram(v) for k, v in style.items()}
    same, _ = gram_losses(style, content, grams, RunningScale(), ("relu1_1",))
    other, log = gram_losses(content, content, grams, RunningScale(), ("relu1_1",))
    assert same.item() < 1e-6 and abs(other.item() - 1) < 1e-5 and "gram_relu1_1" in log


def test_sliced_wasserstein_sees_the_shape_of_a_distribution_that_moments_miss():
    from vidstyle.models.vgg import mean_std
    from vidstyle.train.losses import sliced_wasserstein, stats_loss

    gen = torch.Generator().manual_seed(0)
    two_valued = torch.randn(1, 4, 32, 32, generator=gen).sign()  # +-1: mean 0, std 1
    gaussian = torch.randn(1, 4, 32, 32, generator=gen)  # about the same mean and std, another shape
    style = two_valued.repeat(1, 1, 2, 3)  # the same distribution at another size
    shuffled = two_valued.flatten(2)[..., torch.randperm(1024, generator=gen)].view(1, 4, 32, 32)
    dirs = torch.nn.functional.normalize(torch.randn(4, 4, generator=gen), dim=0)
    assert stats_loss(mean_std(gaussian), mean_std(style)) < 0.01
    assert sliced_wasserstein(shuffled, style, dirs, gen) < 1e-10
    assert sliced_wasserstein(gaussian, style, dirs, gen) > 0.05
    sampled = sliced_wasserstein(gaussian, style, dirs, gen, points=256)  # a sample of the positions
    assert 0.05 < sampled < 0.5


def test_sampler_mixes_shapes_and_whole_photos(data):
    from vidstyle.train.data import whole_image

    pool = ImagePool([(str(data / "content"), 1.0, False)], holdout=None)
    sampler = PairSampler(pool, pool, 32, aspects=(1.0, 16 / 9), whole_rate=0.5)
    shapes = {tuple(sampler.batch(step, 2)[0].shape[-2:]) for step in range(30)}
    assert shapes == {(32, 32), (24, 40), (40, 24)}
    img = np.zeros((40, 60, 3), np.uint8)
    img[:3] = 255  # the photo's own top edge must survive a whole-photo sample (cropped from the sides only)
    out = whole_image(img, (24, 32), np.random.default_rng(1))
    assert out.shape == (24, 32, 3) and out[0].mean() > 200 and out[4:].max() == 0


def test_single_style_training(data, tmp_path):
    style = str(data / "style" / "style1.jpg")
    rec = train(config(data, tmp_path / "s.pt", 2, gram_weight=1.0, swd_weight=1.0, swd_layers=("relu2_1",),
                       style=[], style_image=style))
    assert rec["step"] == 2 and "gram_relu3_1" in rec and "swd_relu2_1" in rec and "border" in rec
    assert torch.load(tmp_path / "s.pt", weights_only=False)["config"]["style_image"] == style
    from safetensors import safe_open

    from vidstyle.media.images import load_image
    from vidstyle.styles import image_key
    from vidstyle.train.ship import ship

    card = ship(str(tmp_path / "s.pt"), str(tmp_path / "styles" / "adain" / "one.safetensors"))
    with safe_open(str(tmp_path / "styles" / "adain" / "one.safetensors"), "pt") as f:
        assert f.metadata()["style_key"] == image_key(load_image(style))
    assert "single painting style1.jpg" in open(card).read()


def test_single_style_whole_painting_target(data, tmp_path):
    from vidstyle.models.vgg import mean_std
    from vidstyle.runtime.tensors import resize_short, to_tensor
    from vidstyle.train.loop import Trainer

    yy, xx = np.mgrid[0:60, 0:90]
    painting = np.stack([xx * 2.8, yy * 4.2, (xx + yy) * 1.7], -1).astype(np.uint8)  # smooth: resizes agree
    Image.fromarray(painting).save(tmp_path / "painting.png")
    cfg = config(data, tmp_path / "w.pt", 2, gram_weight=1.0, style=[], style_image=str(tmp_path / "painting.png"),
                 style_scale=120, gram_layers=("relu2_1", "relu4_1"), swd_weight=1.0, swd_layers=("relu3_1",))
    trainer = Trainer(cfg)
    (stats, grams, feats), vgg = trainer.whole_style, trainer.vgg
    at = {short: mean_std(vgg(resize_short(to_tensor(painting), short), ("relu4_1",))["relu4_1"])[0]
          for short in (120, 60)}
    error = {short: (stats["relu4_1"][0] - m).abs().max() / m.abs().max() for short, m in at.items()}
    assert error[120] < 0.03 and error[60] > 0.2, error  # all of the painting, at short side 120
    assert set(grams) == {"relu2_1", "relu4_1"} and grams["relu4_1"].shape == (1, 512, 512)
    assert set(feats) == {"relu3_1"} and feats["relu3_1"].shape == (1, 256, 30, 45)
    rec = train(cfg)
    assert rec["step"] == 2 and "gram_relu4_1" in rec and "gram_relu1_1" not in rec and "swd_relu3_1" in rec
    from vidstyle.train.ship import ship

    card = open(ship(str(tmp_path / "w.pt"), str(tmp_path / "w.safetensors"))).read()
    assert "Gram weight 1.0 at relu2_1/relu4_1" in card and "the whole painting at short side 120" in card
    assert "sliced Wasserstein weight 1.0 at relu3_1" in card
