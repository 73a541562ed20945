"""Tiled stylization (``Stylizer(tile=...)``): adain in tiles matches adain on the whole frame, its AdaIN
statistics are the whole frame's, ``auto`` tiles exactly the frames that do not fit in memory, and models
that do not tile say so."""
import json
import logging
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import ROOT
from PIL import Image

import vidstyle.stylizer.runner as runner
from vidstyle import Stylizer
from vidstyle.cli.args import check_memory
from vidstyle.errors import VidstyleError
from vidstyle.models.vgg import mean_std
from vidstyle.runtime.memory import RESERVE
from vidstyle.runtime.tensors import to_tensor

STYLE = os.path.join(ROOT, "samples", "painting_van_gogh_the_starry_night_1889.jpg")
H, W, TILE, OVERLAP = 160, 256, 128, 64  # 2 x 3 tiles of 128 px


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / max(mse, 1e-12))


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    img = Image.open(os.path.join(ROOT, "samples", "photo_coffee.jpg")).convert("RGB")
    return np.asarray(img.resize((W, H), Image.LANCZOS))


def make(**kw) -> Stylizer:
    return Stylizer(style=STYLE, model="adain", device="cpu", precision="fp32", disk_cache=False, **kw)


@pytest.fixture(scope="module")
def whole(photo):
    return make(tile="off")(photo)


@pytest.fixture(scope="module")
def tiled():
    return make(tile=TILE, tile_overlap=OVERLAP)


@pytest.fixture(scope="module")
def tiled_run(photo, tiled):
    """(output, shapes of the tiles encoded, statistics the tiles were normalized by) of one tiled run."""
    net, shapes, stats = tiled.net, [], []
    encode, global_stats = net.content_features, net.global_stats
    net.content_features = lambda x: shapes.append(tuple(x.shape[-2:])) or encode(x)
    net.global_stats = lambda parts: stats.append(global_stats(parts)) or stats[-1]
    try:
        return tiled(photo), shapes, stats
    finally:
        del net.content_features, net.global_stats


def test_tiles_match_the_whole_frame_without_seams(whole, tiled_run):
    out, shapes, _ = tiled_run
    assert len(shapes) == 6 and max(max(s) for s in shapes) <= TILE  # it really ran in 2 x 3 tiles
    assert out.shape == whole.shape and psnr(out, whole) >= 45
    seams = np.zeros((H, W), bool)  # 8 px either side of the cuts between the tiles' cores
    seams[:, 88:104] = seams[:, 152:168] = seams[72:88] = True
    assert psnr(out[seams], whole[seams]) >= 42


def test_tiles_share_the_whole_frames_statistics(photo, tiled, tiled_run):
    with torch.inference_mode():
        mean, std = mean_std(tiled.net.content_features(to_tensor(photo)))
    (got_mean, got_std), = tiled_run[2]
    assert torch.allclose(got_mean, mean, rtol=1e-3, atol=1e-3) and torch.allclose(got_std, std, rtol=1e-3)


def test_each_tiles_own_statistics_would_show(photo, whole, tiled, monkeypatch):
    """The check above matters: normalizing each tile by its own statistics is far from the whole frame."""
    monkeypatch.setattr(tiled.net, "global_stats", lambda parts: None)
    decode = tiled.net.decode_features
    monkeypatch.setattr(tiled.net, "decode_features", lambda f, code, a, _: decode(f, code, a, mean_std(f)))
    assert psnr(tiled(photo), whole) < 35


def test_auto_tiles_only_frames_that_do_not_fit(photo, tiled_run, monkeypatch, caplog):
    monkeypatch.setattr(runner, "AUTO_TILE", TILE)
    st = make(tile="auto", tile_overlap=OVERLAP)
    assert st.tile_side(1, H, W) == 0  # plenty of memory: whole frames
    monkeypatch.setattr(runner, "available_bytes", lambda device: RESERVE + 30 * 2**20)  # 30 MiB free
    assert st.tile_side(1, H, W) == TILE
    with caplog.at_level(logging.WARNING, logger="vidstyle"):
        assert np.array_equal(st(photo), tiled_run[0])  # the same as asking for these tiles
    assert "would not fit in free memory" in caplog.text  # a notice: the user did not ask for tiles
    need, free, _ = st.memory_fit(H, W)
    assert need < runner.registry.get("adain").bytes_per_pixel * H * W  # counted tiled
    check_memory(st, H, W, batch=1)  # fits tiled: no refusal
    off = make(tile="off")
    with pytest.raises(VidstyleError, match="--tile"):
        check_memory(off, H, W, batch=1)


def test_models_that_do_not_tile_run_whole(caplog):
    with caplog.at_level(logging.WARNING, logger="vidstyle"):
        st = Stylizer(style=STYLE, model="fast", device="cpu", precision="fp32", disk_cache=False, tile=TILE)
    assert "does not tile" in caplog.text and st.tile_side(1, 2160, 3840) == 0


@pytest.mark.parametrize("tile, overlap, words", [(32, None, "at least 64"), (128, 80, "half the tile"),
                                                  ("auto", 300, "half the tile"), (128, -8, "from 0"),
                                                  ("big", None, "'auto'")])
def test_bad_tile_options(tiled, tile, overlap, words):
    with pytest.raises(VidstyleError, match=words):
        tiled.runner._tiling(tile, overlap)


@pytest.mark.big
def test_a_4k_frame_fits_in_4_gib_in_tiles():
    """The goal: adain on a 3840x2160 frame within 4 GiB on a CPU (peak resident memory of a fresh process;
    minutes on 2 cores)."""
    script = os.path.join(ROOT, "scripts", "tiles-measure")
    r = subprocess.run([sys.executable, script, "memory", "--precision", "bf16", "--size", "3840x2160", "--tile",
                        "512"], capture_output=True, text=True, timeout=3600)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout[r.stdout.index("\n{") + 1:])["bf16 tile 512"]
    assert result["tiled"] and result["peak_rss_gib"] < 4.0


def test_out_of_memory_for_one_frame_goes_on_in_smaller_tiles(photo, monkeypatch, caplog):
    """A GPU that cannot hold a whole frame (simulated: no GPU here) nor a tile over TILE px: the frame is
    retried in tiles of 512, 256, then 128 px, and comes out as a run asked for 128 px tiles gives it."""
    expected = make(tile=TILE)(photo)
    st = make()
    real = st.runner._stylize

    def small_gpu(state, x, out_hw=None, code=None):
        if st.runner.planned_tile(x.shape[0], *x.shape[-2:], code=state.style_code) == 0:
            raise torch.OutOfMemoryError("CUDA out of memory")
        return real(state, x, out_hw, code)

    monkeypatch.setattr(st.runner, "_stylize", small_gpu)
    with caplog.at_level(logging.WARNING, logger="vidstyle"):
        assert np.array_equal(st(photo), expected)
    assert "going on in tiles of 128 px" in caplog.text
    off = make(tile="off")
    monkeypatch.setattr(off.runner, "_stylize", lambda *a, **k: (_ for _ in ()).throw(torch.OutOfMemoryError()))
    with pytest.raises(VidstyleError, match="--size"):
        off(photo)
