"""``Stylizer(preserve_color=...)``: luma keeps the content's chroma, match re-encodes the style with the
content's colours (its own cache entry, re-matched on a new style or clip), settable at run time."""
import logging
import os

import numpy as np
import pytest
import torch
from conftest import ROOT
from johnson_files import example_checkpoint
from PIL import Image

from vidstyle.api import Stylizer
from vidstyle.errors import VidstyleError
from vidstyle.models.colour import rgb_to_ycbcr
from vidstyle.stylizer import runner

SAMPLES = os.path.join(ROOT, "samples")
STARRY = os.path.join(SAMPLES, "painting_van_gogh_the_starry_night_1889.jpg")
WAVE = os.path.join(SAMPLES, "painting_hokusai_great_wave_off_kanagawa.jpg")


def photo(name: str, w: int = 96) -> np.ndarray:
    img = Image.open(os.path.join(SAMPLES, name)).convert("RGB")
    return np.asarray(img.resize((w, round(w * img.height / img.width)), Image.BILINEAR))


def ycc(rgb: np.ndarray) -> torch.Tensor:
    """uint8 (H, W, 3) -> (3, H, W) Y, Cb, Cr in 0-255 units."""
    return rgb_to_ycbcr(torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float() / 255)[0] * 255


@pytest.fixture(scope="module")
def st():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "STYLE_SHORT_SIDE", 128)  # styles encoded small: the same code path, 16x less VGG work
        yield Stylizer(style=STARRY, model="fast", device="cpu", precision="fp32", disk_cache=False)


def test_luma_keeps_the_contents_chroma(st):
    content = photo("photo_chameleon.jpg")
    st.preserve_color = None
    plain = st(content)
    st.preserve_color = "luma"
    out = st(content)
    got, want = ycc(out), ycc(content)
    assert float((got[1:] - want[1:]).abs().max()) < 0.5  # the chroma, to the last uint8 level
    assert float((ycc(plain)[1:] - want[1:]).abs().mean()) > 10  # which the plain output does not have
    assert float((got[0] - ycc(plain)[0]).abs().median()) < 1  # the luminance is the stylized one
    assert float((got[0] - want[0]).abs().mean()) > 5  # not the photo's
    small = st(content, out_hw=(36, 48))  # output at another size: the content's chroma resized
    assert small.shape == (36, 48, 3)
    assert float((ycc(small)[1:] - ycc(np.asarray(Image.fromarray(content).resize((48, 36))))[1:]).abs().mean()) < 2


def images_cached(st) -> int:
    """How many style images have cache entries (keys start with the image's content key)."""
    return len({k.split("-")[0] for k in st.cache.memory})


def test_match_moves_the_style_to_the_contents_colours_once_per_clip(st):
    a, b = photo("photo_chameleon.jpg"), photo("photo_coffee.jpg")
    st.preserve_color = None
    st.reset_temporal()
    plain = st(a)
    cached = images_cached(st)
    st.preserve_color = "match"
    out = st(a)
    assert images_cached(st) == cached + 1  # the matched painting: a style image of its own in the cache
    dist = [float((ycc(y)[1:].mean((1, 2)) - ycc(a)[1:].mean((1, 2))).norm()) for y in (plain, out)]
    assert dist[1] < dist[0] / 2, dist  # mean chroma: far nearer the photo's than the painting's
    b_matched_to_a = st(b)  # the same clip: still matched to its first frame
    assert images_cached(st) == cached + 1
    st.reset_temporal()  # a new clip: matched to its first frame, b
    b_matched_to_b = st(b)
    assert images_cached(st) == cached + 2 and not np.array_equal(b_matched_to_a, b_matched_to_b)
    st.set_style(WAVE)  # a new style is matched too
    st(b)
    assert images_cached(st) == cached + 4  # the wave, then the wave matched to b
    st.set_style(STARRY)


def test_preserve_color_is_checked_and_settable(st):
    for value, want in (("luma", "luma"), ("match", "match"), ("off", None), (None, None)):
        st.preserve_color = value
        assert st.preserve_color == want
    with pytest.raises(VidstyleError, match="preserve_color must be None, 'luma' or 'match', got 'chroma'"):
        st.preserve_color = "chroma"
    with pytest.raises(VidstyleError, match="preserve_color"):
        Stylizer(model="fast", device="cpu", preserve_color="yes")


def test_match_with_a_per_style_network_keeps_the_colours_with_luma(tmp_path, caplog):
    path = str(tmp_path / "candy.pth")
    example_checkpoint(path)
    st = Stylizer(model=path, device="cpu", precision="fp32", disk_cache=False, preserve_color="match")
    content = photo("photo_coffee.jpg", 64)
    with caplog.at_level(logging.WARNING, logger="vidstyle"):
        out = st(content)
        st(content)
    assert [r.getMessage() for r in caplog.records].count(
        "preserve-color match: its style is in the network, so the content's colours are kept with luma instead") == 1
    assert float((ycc(out)[1:] - ycc(content)[1:]).abs().max()) < 0.5


def test_the_label_names_the_network_that_made_the_output(st):
    content = photo("photo_coffee.jpg", 64)
    st.set_style(STARRY)  # a painting with its own per-style network
    st.preserve_color = None
    st(content)
    assert st.model_label == "fast (per-style network)"
    st.preserve_color = "match"  # a colour-matched copy is a new image: the model's own network paints it
    st(content)
    assert st.model_label == "fast"
    st.preserve_color = "luma"
    st(content)
    assert st.model_label == "fast (per-style network)"
