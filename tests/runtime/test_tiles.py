"""Tiles: the split covers the frame and its cores partition it, the feathered blend gives back any field the
tiles agree on, and the global pass sees every pixel exactly once."""
import pytest
import torch
import torch.nn.functional as F

from vidstyle.runtime.tiles import feather, run_tiled, split

SIZES = [(64, 64, 64, 16), (200, 328, 64, 16), (1080, 1920, 512, 64), (72, 520, 64, 32), (520, 72, 512, 64),
         (16, 16, 64, 8), (528, 136, 128, 64), (1088, 1928, 512, 0)]


def _grid(h, w):
    yy, xx = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32),
                            indexing="ij")
    return yy, xx


@pytest.mark.parametrize("h, w, tile, overlap", SIZES)
def test_tiles_cover_the_frame_and_cores_partition_it(h, w, tile, overlap):
    tiles = split(h, w, tile, overlap, 8)
    cover, cores = torch.zeros(h, w), torch.zeros(h, w)
    for t in tiles:
        y0, y1, x0, x1 = t.box
        assert 0 <= y0 < y1 <= h and 0 <= x0 < x1 <= w and y1 - y0 <= tile and x1 - x0 <= tile
        assert all(v % 8 == 0 for v in t.box + t.core)
        cy0, cy1, cx0, cx1 = t.core
        assert y0 <= cy0 < cy1 <= y1 and x0 <= cx0 < cx1 <= x1  # a tile owns only pixels it sees
        cover[y0:y1, x0:x1] += 1
        cores[cy0:cy1, cx0:cx1] += 1
    assert bool((cover >= 1).all()) and bool((cores == 1).all())
    # neighbours overlap by at least the overlap asked for, and each core keeps >= overlap / 2 from its box's
    # inner edges (its context)
    for t in tiles:
        (y0, y1, x0, x1), (cy0, cy1, cx0, cx1) = t.box, t.core
        for inner, edge in ((cy0 - y0, y0), (y1 - cy1, h - y1), (cx0 - x0, x0), (x1 - cx1, w - x1)):
            assert edge == 0 or inner >= overlap // 2 - 8


@pytest.mark.parametrize("h, w, tile, overlap", [s for s in SIZES if s[0] * s[1] < 10**6])
def test_blend_gives_back_a_constant_and_a_linear_field(h, w, tile, overlap):
    yy, xx = _grid(h, w)
    for field in (torch.full((h, w), 0.37), 0.003 * yy - 0.002 * xx + 0.5):
        x = field.expand(2, 1, h, w)
        out = run_tiled(x, split(h, w, tile, overlap, 8), overlap, lambda t: t * 2, lambda parts: 0.5,
                        lambda f, g: f * g)
        assert out.shape == x.shape
        assert float((out - x).abs().max()) < 1e-5


def test_feather_fades_only_at_inner_edges():
    h, w, tile, overlap = 200, 328, 64, 16
    for t in split(h, w, tile, overlap, 8):
        wt = feather(t, h, w, overlap)
        y0, y1, x0, x1 = t.box
        assert wt.shape == (y1 - y0, x1 - x0) and float(wt.min()) > 0 and float(wt.max()) <= 1
        mid = wt[wt.shape[0] // 2]
        assert float(mid[0]) < 0.01 if x0 > 0 else float(mid[0]) == 1.0
        assert float(mid[-1]) < 0.01 if x1 < w else float(mid[-1]) == 1.0
        assert bool((mid[:overlap].diff() >= 0).all()) and float(mid[overlap:-overlap].min()) == 1.0


def test_the_global_pass_sees_every_pixel_once_at_feature_scale():
    h, w = 136, 264
    x = torch.rand(1, 1, h, w)
    seen = {}

    def reduce(parts):
        seen["n"] = sum(p.shape[-2] * p.shape[-1] for p in parts)
        seen["sum"] = sum(float(p.sum()) for p in parts)
        return None

    run_tiled(x, split(h, w, 64, 16, 8), 16, lambda t: F.avg_pool2d(t, 8), reduce,
              lambda f, _: F.interpolate(f, scale_factor=8.0), scale=8)
    whole = F.avg_pool2d(x, 8)
    assert seen["n"] == whole.numel() and seen["sum"] == pytest.approx(float(whole.sum()), rel=1e-5)


@pytest.mark.parametrize("args", [(100, 64, 64, 16), (64, 64, 60, 16), (64, 64, 64, 40), (64, 64, 0, 0)])
def test_bad_tilings_are_refused(args):
    with pytest.raises(ValueError):
        split(*args, multiple=8)
