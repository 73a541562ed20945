"""No frame around the picture: the border score (docs/evaluation.md) of the shipped models on the bundled
photo and clip, at 640x360 and at a size that is no multiple of any stride."""
import av
import cv2
import numpy as np
import pytest
from conftest import ROOT

from vidstyle.api import Stylizer
from vidstyle.eval.metrics import border_score, edge_line_score
from vidstyle.media.images import load_image

SIZES = ((360, 640), (357, 633))
# with fix_edges the scores here are -0.4 to 0.7, their mean at most 0.3 (adain without it: 9.6 worst, fast-v1:
# 69; adain with half the correction: mean 3.1, worst 3.9), so the mean is held to 1.5 and the worst side to 5
MEAN_MAX, WORST_MAX = 1.5, 5.0
# edge line score here: fast-v1 63-68; fast 6-10 (lines 18-21 px inside the left and right edges, from the zero
# padding in its encoder) while fix_edges corrected 20 rows, at most 1.5 with 32; adain at most 2.7
LINES_MAX = 5.0


def bundled_frames() -> list[np.ndarray]:
    with av.open(f"{ROOT}/samples/video_big_buck_bunny_excerpt.mp4") as c:
        video = [f.to_ndarray(format="rgb24") for i, f in enumerate(c.decode(video=0)) if i in (10, 70)]
    return video + [load_image(f"{ROOT}/samples/photo_chameleon.jpg")]


@pytest.mark.parametrize("model, tile",
                         [("adain", 0), pytest.param("adain", 256, marks=pytest.mark.heavy), ("fast", 0)])
def test_shipped_model_paints_no_frame(model, tile):
    st = Stylizer(model=model, device="cpu", disk_cache=False, tile=tile)
    scores, lines = [], []
    for img in bundled_frames():
        for hw in SIZES:
            content = cv2.resize(img, hw[::-1], interpolation=cv2.INTER_AREA)
            out = st(content)
            scores.append(border_score(out, content))
            lines.append(edge_line_score(out, content))
    assert np.mean(scores) <= MEAN_MAX and max(scores) <= WORST_MAX, np.round(scores, 1)
    assert max(lines) <= LINES_MAX, np.round(lines, 1)


def test_fix_edges_removes_a_band_and_keeps_the_contents_own_shading():
    import torch

    from vidstyle.models.edges import fix_edges

    torch.manual_seed(0)
    x = torch.rand(2, 3, 112, 128) * 0.2 + 0.4
    x[..., :6, :] *= 0.5  # the content's own dark top edge (a vignette) must stay
    y = x.clone().requires_grad_(True)
    painted = y + 0
    painted = torch.cat([painted[..., :, :-6], painted[..., :, -6:-3] + 0.3, painted[..., :, -3:]], -1)
    fixed = fix_edges(painted, x)
    assert (fixed - x).abs().max() < 1e-5  # the band 3-6 px inside the right edge is gone, the vignette kept
    fixed.sum().backward()
    assert y.grad is not None and torch.isfinite(y.grad).all()
    small = torch.rand(1, 3, 40, 200)
    assert fix_edges(small, small) is small  # too small to have a band and a reference: left alone


# fix_edges's definition (its module's docstring and constants, written out here): the 32 outermost rows are
# corrected, against the band 36-48 px in, over 31 px along the edge, fading out over the innermost 4 rows
EDGE_DEPTH, EDGE_REF, EDGE_ALONG = 32, (36, 48), 31
EDGE_WEIGHTS = [1.0] * 28 + [0.8, 0.6, 0.4, 0.2]


def reference_fix(y, x):
    """fix_edges as its docstring says it, row by row: the top and bottom rows, then the left and right ones."""
    import torch.nn.functional as F

    def box(v):  # (N, C, L) -> the mean over EDGE_ALONG pixels along L, the ends repeated
        return F.avg_pool1d(F.pad(v, (EDGE_ALONG // 2, EDGE_ALONG // 2), mode="replicate"), EDGE_ALONG, 1)

    y, weights = y.clone(), EDGE_WEIGHTS
    for columns in (False, True):
        yv, xv = (y.transpose(-1, -2), x.transpose(-1, -2)) if columns else (y, x)
        n, d = yv.shape[-2], yv - xv
        for rows, ref in ((range(EDGE_DEPTH), range(*EDGE_REF)),
                          (range(n - 1, n - 1 - EDGE_DEPTH, -1), range(n - EDGE_REF[1], n - EDGE_REF[0]))):
            base = box(d[..., list(ref), :].mean(-2))
            for r, w in zip(rows, weights):
                yv[..., r, :] -= w * (box(d[..., r, :]) - base)
    return y


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_fix_edges_matches_its_definition(layout):
    import torch

    from vidstyle.models.edges import fix_edges

    torch.manual_seed(0)
    fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
    x = torch.rand(2, 3, 101, 134).contiguous(memory_format=fmt)
    y = (x + torch.rand(2, 3, 101, 134)).contiguous(memory_format=fmt)
    expected = reference_fix(y, x)
    with torch.inference_mode():
        fixed = fix_edges(y.clone(), x)
    assert (fixed - expected).abs().max() < 1e-5
    assert (expected - y).abs().max() > 0.1  # the correction is not trivial here


def test_fix_edges_leaves_no_step_where_the_corrected_rows_end():
    import torch

    from vidstyle.models.edges import fix_edges

    x = torch.full((1, 3, 112, 128), 0.4)
    y = x + (0.3 * (1 - torch.arange(112) / 36).clamp(min=0))[:, None]  # a bright band fading out 36 rows in
    profile = (fix_edges(y, x) - x)[0, 0, :44, 64]
    assert profile[:4].abs().max() < 1e-6  # the edge rows are corrected
    assert profile.diff().abs().max() < 0.02  # and no step is left (0.033 where the correction stops at once)


def test_border_score_sees_a_frame():
    content = cv2.resize(load_image(f"{ROOT}/samples/photo_chameleon.jpg"), (320, 180))
    framed = content.copy()
    framed[:, -5:-1] = (255, 255, 0)  # a yellow line 1-4 px inside the right edge
    assert abs(border_score(content, content)) < 1e-9 and border_score(framed, content) > 60


def test_edge_line_score_sees_a_line_deeper_than_the_border_bands_and_not_the_contents_own():
    content = cv2.resize(load_image(f"{ROOT}/samples/photo_chameleon.jpg"), (320, 180))
    lined = content.astype(np.int16)
    lined[:, -24] += 40  # a light line 24 px inside the right edge: beyond the border score's bands
    lined = lined.clip(0, 255).astype(np.uint8)
    assert abs(border_score(lined, content)) < 1 and edge_line_score(lined, content) > 20
    assert edge_line_score(content, content) == 0.0
    both = content.copy()
    both[30] = 255  # the content's own line 30 px below the top, kept by the output
    assert abs(edge_line_score(both, both)) < 1e-9
    assert edge_line_score(content[:90], content[:90]) is None  # too small for the interior reference


@pytest.mark.parametrize("tile", [0, 256])
def test_adain_corrects_the_real_edges_of_a_frame_padded_to_its_stride(tile):
    """adain works on frames padded to multiples of 8: the correction belongs at the frame's own edges, so
    that the 16 outermost rows (fully corrected) keep one colour offset from the content on every side."""
    img = cv2.resize(bundled_frames()[2], (633, 357), interpolation=cv2.INTER_AREA)  # padded by 7 and 3
    st = Stylizer(model="adain", device="cpu", disk_cache=False, tile=tile)
    diff = st(img).astype(np.float64) - img
    sides = (diff, diff[::-1], diff.transpose(1, 0, 2), diff.transpose(1, 0, 2)[::-1])
    spread = [float(np.ptp(s[:16].mean(1), 0).max()) for s in sides]  # per row: mean offset, per channel
    assert max(spread) < 3, np.round(spread, 2)  # 0.5-2.0 (the decoder of 2026-12-02); 7.5-26 unfixed
