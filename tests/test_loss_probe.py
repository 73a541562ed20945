"""scripts/loss-probe reads its recipes as written and optimises the photo towards the painting under them."""

import numpy as np
import pytest
import torch
from conftest import load_script

from vidstyle.models.vgg import VGG19Encoder
from vidstyle.runtime.tensors import to_tensor
from vidstyle.train.losses import gram


def test_recipes_parse_with_defaults_and_label_briefly():
    lp = load_script("loss-probe")
    r = lp.parse_recipe("gram=10 gram_layers=relu3_1,relu4_1 scale=256")
    assert r["ms"] == 5.0 and r["gram"] == 10.0 and r["swd"] == 0.0 and r["scale"] == 256
    assert r["gram_layers"] == ("relu3_1", "relu4_1") and len(r["swd_layers"]) == 4
    assert lp.label(r) == "ms 5 + gram 10 (r34) @256"
    for bad in ("gramm=10", "scale=", "ms", "scale=big", "gram_layers=", "swd_layers=relu9_1"):
        with pytest.raises(SystemExit, match="bad recipe word"):
            lp.parse_recipe(bad)


@pytest.mark.heavy
def test_probe_moves_the_photo_towards_the_paintings_gram_matrices():
    lp = load_script("loss-probe")
    rng = np.random.default_rng(0)
    photo = np.repeat(np.linspace(40, 220, 64, dtype=np.float32)[None, :, None], 48, 0).repeat(3, 2)
    photo = photo.astype(np.uint8)
    stripes = ((np.indices((64, 80)).sum(0) // 4) % 2 * 200 + rng.integers(0, 40, (64, 80)))[..., None]
    painting = np.concatenate([stripes, 255 - stripes, stripes // 2], 2).astype(np.uint8)
    vgg = VGG19Encoder("relu4_1")
    content = to_tensor(photo)
    recipe = lp.parse_recipe("ms=5 gram=10 gram_layers=relu2_1,relu3_1 scale=64")
    out = lp.probe(content, painting, recipe, vgg, steps=20, lr=0.02)
    assert out.shape == photo.shape and out.dtype == np.uint8 and not np.array_equal(out, photo)

    def gram_distance(img):
        with torch.no_grad():
            f, s = vgg(to_tensor(img), ("relu2_1",))["relu2_1"], vgg(to_tensor(painting), ("relu2_1",))["relu2_1"]
        return float(((gram(f) - gram(s)) ** 2).mean())
    assert gram_distance(out) < 0.7 * gram_distance(photo)  # 0.40 on a 2-core Xeon
