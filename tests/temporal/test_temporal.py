"""Tests of vidstyle.temporal on synthetic clips with known motion (tests/clips.py)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from clips import cut_clip, panning_clip, static_clip

from vidstyle.temporal import MODES, make_temporal


def run(mode: str, frames: list[np.ndarray], styls: list[np.ndarray], **kw) -> list[np.ndarray]:
    t = make_temporal(mode, **kw)
    return [t(x, y) for x, y in zip(frames, styls)]


def flickery(frames: list[np.ndarray], seed: int = 0) -> list[np.ndarray]:
    """A stand-in stylizer that flickers: a fixed colour map, then per frame a random colour shift
    (std 12 levels per channel) and per-pixel noise (std 8)."""
    rng = np.random.default_rng(seed)
    out = []
    for f in frames:
        y = colour_map(f).astype(np.float32) + rng.normal(0, 12, 3) + rng.normal(0, 8, f.shape)
        out.append(np.clip(np.rint(y), 0, 255).astype(np.uint8))
    return out


def colour_map(frame: np.ndarray) -> np.ndarray:
    """A deterministic 'style': swap and stretch the channels."""
    f = frame.astype(np.float32)
    return np.clip(np.dstack([f[..., 2] * 1.1, f[..., 0] * 0.8 + 30, 255 - f[..., 1]]), 0, 255).astype(np.uint8)


def gt_warping_error(outs: list[np.ndarray], clip, margin: int = 6) -> float:
    """Mean squared difference (levels^2) between out_t and out_{t-1} moved by the true background motion,
    on pixels at least ``margin`` px from the border and from the object at t-1 and t."""
    h, w = outs[0].shape[:2]
    kernel = np.ones((2 * margin + 1,) * 2, np.uint8)
    errs = []
    for t in range(1, len(outs)):
        moved = cv2.warpAffine(outs[t - 1].astype(np.float32), clip.motions[t], (w, h), flags=cv2.INTER_CUBIC)
        keep = np.zeros((h, w), np.uint8)
        keep[margin:-margin, margin:-margin] = 1
        obj = clip.masks[t] | cv2.warpAffine(clip.masks[t - 1].astype(np.uint8), clip.motions[t], (w, h)) > 0
        keep[cv2.dilate(obj.astype(np.uint8), kernel) > 0] = 0
        d = (moved - outs[t].astype(np.float32)) ** 2
        errs.append(d[keep > 0].mean())
    return float(np.mean(errs))


def laplacian_var(img: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32), cv2.CV_32F).var())


# --- API ---------------------------------------------------------------------------------------------

def test_unknown_mode_raises():
    with pytest.raises(ValueError, match="unknown temporal mode"):
        make_temporal("median")


@pytest.mark.parametrize("mode, strength", [("ema", 1.0), ("flow", -0.1)])
def test_bad_strength_raises(mode, strength):
    with pytest.raises(ValueError, match="strength"):
        make_temporal(mode, strength)


@pytest.mark.parametrize("bad", [(np.zeros((8, 8, 3), np.float32), np.zeros((8, 8, 3), np.uint8)),
                                 (np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9, 3), np.uint8)),
                                 (np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8))])
def test_bad_frames_raise(bad):
    with pytest.raises(ValueError):
        make_temporal("flow")(*bad)


def test_off_is_identity():
    clip = panning_clip(n=4)
    styls = flickery(clip.frames)
    t = make_temporal("off")
    assert t.mode == "off"
    for x, y in zip(clip.frames, styls):
        assert np.array_equal(t(x, y), y)


@pytest.mark.parametrize("mode", MODES)
def test_shape_dtype_and_first_frame(mode):
    clip = panning_clip(n=3, h=50, w=70)
    styls = flickery(clip.frames)
    t = make_temporal(mode)
    assert t.mode == mode
    outs = [t(x, y) for x, y in zip(clip.frames, styls)]
    assert all(o.shape == (50, 70, 3) and o.dtype == np.uint8 for o in outs)
    assert np.array_equal(outs[0], styls[0])


def test_ema_formula_on_two_frames():
    rng = np.random.default_rng(1)
    inp = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    y0, y1 = (rng.integers(0, 256, (20, 30, 3), dtype=np.uint8) for _ in range(2))
    t = make_temporal("ema", strength=0.3)
    t(inp, y0)
    out = t(inp, y1)
    expected = 0.7 * y1.astype(np.float64) + 0.3 * y0
    assert np.abs(out - expected).max() <= 0.5 + 1e-6


@pytest.mark.parametrize("mode", ["ema", "flow"])
def test_reset_forgets_history(mode):
    clip = panning_clip(n=3)
    styls = flickery(clip.frames)
    t = make_temporal(mode)
    t(clip.frames[0], styls[0])
    assert not np.array_equal(t(clip.frames[1], styls[1]), styls[1])
    t.reset()
    assert np.array_equal(t(clip.frames[2], styls[2]), styls[2])


@pytest.mark.parametrize("mode", ["ema", "flow"])
def test_size_change_resets(mode):
    t = make_temporal(mode)
    a = panning_clip(n=1).frames[0]
    t(a, a)
    b = panning_clip(n=1, h=64, w=80).frames[0]
    assert np.array_equal(t(b, b[::-1]), b[::-1])


# --- behaviour on clips with known motion ------------------------------------------------------------

@pytest.mark.parametrize("mode", ["ema", "flow"])
def test_scene_cut_resets(mode):
    clip = cut_clip(n=10, cut=6)
    styls = flickery(clip.frames)
    outs = run(mode, clip.frames, styls)
    assert not np.array_equal(outs[5], styls[5])  # smoothing was active before the cut
    assert np.array_equal(outs[6], styls[6])


@pytest.mark.parametrize("motion", [dict(dx=1.6, dy=-0.7), dict(dx=0.5, zoom=0.01)])
def test_flow_reduces_flicker(motion):
    """Ground-truth warping error of ``flow`` <= 40% of ``off`` on a flickery stand-in stylizer."""
    clip = panning_clip(n=20, **motion)
    styls = flickery(clip.frames)
    e_off = gt_warping_error(styls, clip)
    e_flow = gt_warping_error(run("flow", clip.frames, styls), clip)
    assert e_flow <= 0.4 * e_off, (e_flow, e_off)


def test_flow_no_ghosting():
    """Static background, a disc moving 3 px/frame, a deterministic stand-in stylizer (colour map plus
    noise of std 2). At every one of the last 8 frames, |out_flow - styl| must be below 10% of mean|styl|
    at every pixel outside a 2-px band around the disc's current and previous edges (both masks dilated
    and eroded by 2 px); in particular no trace of the disc may stay behind where it was."""
    clip = static_clip(n=24, obj_v=(-3.0, 1.5))
    rng = np.random.default_rng(0)
    styls = [np.clip(colour_map(f) + rng.normal(0, 2, f.shape), 0, 255).astype(np.uint8) for f in clip.frames]
    outs = run("flow", clip.frames, styls)
    k = np.ones((5, 5), np.uint8)
    for t in range(16, 24):
        band = np.zeros(clip.masks[t].shape, bool)
        for m in (clip.masks[t], clip.masks[t - 1]):
            m8 = m.astype(np.uint8)
            band |= (cv2.dilate(m8, k) > 0) & ~(cv2.erode(m8, k) > 0)
        err = np.abs(outs[t].astype(np.float32) - styls[t]).max(axis=2)
        limit = 0.1 * styls[t].astype(np.float32).mean()
        assert err[~band].max() < limit, (t, err[~band].max(), limit)


def test_flow_warps_by_the_true_motion():
    """A flicker-free pan on a frame that the flow grid shrinks by 2, with a row and a column over: the
    warped history lands where the new stylized frame is (mean |out - styl| < 4 levels inside an 8-px
    margin, 1.5-3.2 over these frames, while the frames themselves change by ~15; a flow left in small-grid
    pixels gives 6-11)."""
    clip = panning_clip(n=6, dx=2.4, dy=-1.2, h=271, w=361, obj=False)
    styls = [colour_map(f) for f in clip.frames]
    outs = run("flow", clip.frames, styls)
    for out, styl in zip(outs[1:], styls[1:]):
        err = np.abs(out.astype(np.float32) - styl)[8:-8, 8:-8].mean()
        assert err < 4.0, err


def test_flow_keeps_detail():
    """On a flicker-free textured pan with sub-pixel motion, the finest detail (Laplacian variance) of the
    flow output over 20 frames stays >= 85% of the per-frame output's: each warp blurs the history a little
    and the detail gain brings most of it back (87% here; a plain blend keeps 62%)."""
    clip = panning_clip(n=20, dx=1.3, dy=0.6, obj=False)
    styls = [colour_map(f) for f in clip.frames]
    outs = run("flow", clip.frames, styls)
    ratio = np.mean([laplacian_var(o) for o in outs[1:]]) / np.mean([laplacian_var(s) for s in styls[1:]])
    assert ratio >= 0.85, ratio


@pytest.mark.parametrize("motion", [dict(dx=1.6, dy=-0.7), dict(dx=0.5, zoom=0.01)])
def test_flow_keeps_redrawn_texture(motion):
    """A stand-in stylizer that paints a new texture every frame (a colour map plus blurred noise of std 10,
    drawn afresh): ``flow`` must steady it (ground-truth warping error <= 40% of ``off``) without fading it
    (std of out - colour map >= 90% of the per-frame texture's; a plain blend keeps 78-83%)."""
    clip = panning_clip(n=20, obj=False, **motion)
    rng = np.random.default_rng(0)
    base = [colour_map(f).astype(np.float32) for f in clip.frames]
    styls = []
    for b in base:
        tex = cv2.GaussianBlur(rng.normal(0, 1, b.shape[:2]).astype(np.float32), (0, 0), 1.0)
        styls.append(np.clip(b + (10 / tex.std() * tex)[..., None], 0, 255).astype(np.uint8))
    outs = run("flow", clip.frames, styls)
    texture = lambda frames: np.mean([(f - b)[8:-8, 8:-8].std() for f, b in zip(frames[5:], base[5:])])  # noqa: E731
    assert texture(outs) >= 0.9 * texture(styls), (texture(outs), texture(styls))
    assert gt_warping_error(outs, clip) <= 0.4 * gt_warping_error(styls, clip)


def test_stats_ema_smooths_and_resets_on_cuts():
    import torch

    from vidstyle.models.stats import StatsEMA

    ema = StatsEMA(beta=0.5, cut=0.3)
    base = torch.ones(1, 4, 1, 1)
    mean = torch.cat([base, base * 1.2, base * 5.0])  # a small change, then a cut
    m, s = ema(mean, mean.clone())
    assert torch.allclose(m[0], base) and torch.allclose(m[1], base * 1.1)
    assert torch.allclose(m[2], base * 5.0)  # the cut is not smoothed
    ema.reset()
    m, _ = ema(base * 1.2, base)
    assert torch.allclose(m, base * 1.2)


def test_stylizer_smooths_adain_content_statistics():
    """An object entering one corner shifts AdaIN's per-frame statistics, which repaints the whole frame;
    with the statistics EMA the far side of the frame changes less."""
    from vidstyle.api import Stylizer

    rng = np.random.default_rng(0)
    style = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    frame = rng.integers(60, 200, (1, 256, 256, 3), dtype=np.uint8)
    entered = frame.copy()
    entered[:, :48, :48] = 255
    changes = []
    for beta in (0.0, 0.8):
        st = Stylizer(style=style, model="adain", device="cpu", precision="fp32", disk_cache=False,
                      temporal_stats=beta)
        a, b = st(frame).astype(int), st(entered).astype(int)
        changes.append(np.abs(b - a)[:, 160:, 160:].mean())  # beyond relu4_1's receptive field
    assert changes[1] < 0.8 * changes[0]


def test_shrink_and_grow():
    """The flow grid is the frame shrunk by a whole factor: exact block means, remainder rows and columns
    left out, and grown back to the frame's size."""
    from vidstyle.temporal.base import grow, shrink, shrink_factor

    assert [shrink_factor(s) for s in ((96, 128, 3), (272, 640, 3), (360, 640, 3), (480, 640, 3), (1080, 1920))] \
        == [1, 2, 2, 3, 6]
    blocks = np.random.default_rng(0).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    img = np.repeat(np.repeat(blocks, 3, axis=0), 3, axis=1)  # 12 x 15, 3 x 3 blocks
    img = np.pad(img, ((0, 2), (0, 1), (0, 0)), constant_values=255)  # 14 x 16: rows and a column over
    small = shrink(img, 3)
    assert small.shape == (4, 5, 3) and np.array_equal(small, blocks)
    assert shrink(img, 1) is img
    big = grow(np.full((4, 5, 2), 7.0, np.float32), (14, 16))
    assert big.shape == (14, 16, 2) and np.all(big == 7.0)


def test_flow_is_zero_where_nothing_moves():
    """Two noisy copies of a still frame: the zero-motion test overrides DIS's spurious sub-pixel motion, so
    the history is not resampled; a real 3-px pan keeps its flow."""
    from vidstyle.temporal.base import Shrunk

    still = panning_clip(n=1, h=180, w=320, dx=0.0, obj=False).frames[0]
    rng = np.random.default_rng(0)
    noisy = [np.clip(still + rng.normal(0, 3, still.shape), 0, 255).astype(np.uint8) for _ in range(2)]
    flow = make_temporal("flow")
    m, _ = flow.agreement(Shrunk(noisy[1]), Shrunk(noisy[0]))
    motion = np.linalg.norm(m - flow.grid(*m.shape[:2]), axis=2)
    assert (motion == 0).mean() > 0.95, (motion == 0).mean()
    pan = panning_clip(n=2, h=180, w=320, dx=3.0, obj=False).frames
    m, _ = flow.agreement(Shrunk(pan[1]), Shrunk(pan[0]))
    dx = (m - flow.grid(*m.shape[:2]))[..., 0]
    assert abs(np.median(dx) + 3.0) < 0.5, np.median(dx)
