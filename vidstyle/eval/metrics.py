"""Quality metrics, defined in docs/evaluation.md: style and content losses through VGG19, SSIM, border score,
warping error; a sliced Wasserstein style distance, which also sees the shapes of strokes; and an edge line
score, for lines painted deeper inside the edges than the border score's bands.

Images are RGB uint8 numpy arrays (H, W, 3) unless stated otherwise. The VGG19 runs in fp32 so that the
numbers do not depend on the device's autocast support.
"""
from __future__ import annotations

import functools
from typing import Iterable

import cv2
import numpy as np
import torch

from ..models.vgg import TAPS, VGG19Encoder, mean_std
from ..runtime.tensors import resize_short, to_tensor

STYLE_SHORT_SIDE = 512
CONTENT_TAPS = ("relu4_1", "relu5_1")
SWD_DIRECTIONS, SWD_QUANTILES = 64, 1024  # sliced Wasserstein: fixed random directions per tap, values compared
LINE_DEPTH = 48  # rows from each edge searched for lines; the next LINE_DEPTH rows are the interior reference
LINE_SEGMENTS = 4  # parts along an edge that a line must run through
FARNEBACK = dict(pyr_scale=0.5, levels=3, winsize=15, iterations=3, poly_n=5, poly_sigma=1.2, flags=0)


# --- VGG19 losses -----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=2)
def vgg(device: str = "cpu") -> VGG19Encoder:
    """The frozen fp32 VGG19 to relu5_1 on ``device``, built once per device."""
    return VGG19Encoder(last="relu5_1").to(device)


@torch.no_grad()
def _vgg_fp32(x: torch.Tensor, device) -> dict[str, torch.Tensor]:
    """VGG taps of (N, 3, H, W) in [0, 1] in true fp32: cuDNN's TF32 convolutions are off while it runs."""
    tf32 = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = False
    try:
        return vgg(str(device))(x.to(device))
    finally:
        torch.backends.cudnn.allow_tf32 = tf32


def features(rgb: np.ndarray, device="cpu") -> dict[str, torch.Tensor]:
    """RGB uint8 (H, W, 3) or a same-size batch (N, H, W, 3) -> fp32 VGG taps {relu1_1..relu5_1: (N, C, h, w)}."""
    return _vgg_fp32(to_tensor(rgb), device)


def _style_taps(style: np.ndarray, device) -> dict[str, torch.Tensor]:
    """Style image RGB uint8 (H, W, 3), resized to short side 512 -> fp32 VGG taps {tap: (1, C, h, w)}."""
    return _vgg_fp32(resize_short(to_tensor(style), STYLE_SHORT_SIDE).clamp_(0, 1), device)


def style_stats(style: np.ndarray, device="cpu") -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Style image RGB uint8 (H, W, 3), resized to short side 512 -> {tap: (mean, std) each (1, C, 1, 1)}."""
    return {tap: mean_std(f) for tap, f in _style_taps(style, device).items()}


def style_targets(style: np.ndarray, device="cpu") -> tuple[dict, dict[str, torch.Tensor]]:
    """``style_stats`` and ``sorted_projections`` of the style image from one VGG pass."""
    taps = _style_taps(style, device)
    return {t: mean_std(f) for t, f in taps.items()}, {t: sorted_projections(f) for t, f in taps.items()}


@functools.lru_cache(maxsize=8)
def _directions(channels: int) -> torch.Tensor:
    """(channels, SWD_DIRECTIONS) fixed random unit columns (seeded per channel count: runs compare)."""
    d = torch.randn(channels, SWD_DIRECTIONS, generator=torch.Generator().manual_seed(channels))
    return d / d.norm(dim=0, keepdim=True)


def sorted_projections(f: torch.Tensor) -> torch.Tensor:
    """VGG features (N, C, h, w) projected on ``_directions(C)``, sorted over the positions and read at
    SWD_QUANTILES evenly spaced quantiles -> (N, SWD_DIRECTIONS, SWD_QUANTILES) fp32: the distributions of the
    features along those directions, comparable between images of any size."""
    p = (f.float().flatten(2).transpose(1, 2) @ _directions(f.shape[1]).to(f.device)).sort(1).values
    idx = ((torch.arange(SWD_QUANTILES, device=f.device) + 0.5) * p.shape[1] / SWD_QUANTILES).long()
    return p[:, idx.clamp_max(p.shape[1] - 1)].transpose(1, 2)


def layer_swd(feats: dict[str, torch.Tensor], style_sorted: dict[str, torch.Tensor]) -> torch.Tensor:
    """Sliced Wasserstein distance (mean squared difference of ``sorted_projections``) to the style's, per
    image and tap: feats (N, C, h, w) -> (N, 5) fp32 on the CPU, columns TAPS. Unlike the mean/std S_l it
    is zero only when the whole feature distributions match, so it also sees the shapes of strokes."""
    cols = [((sorted_projections(feats[t]) - style_sorted[t].to(feats[t].device)) ** 2).mean((1, 2)) for t in TAPS]
    return torch.stack(cols, 1).cpu()


def layer_style_losses(feats: dict[str, torch.Tensor], style: dict) -> torch.Tensor:
    """S_l = MSE(channel means) + MSE(channel stds) per image and layer.

    feats: VGG taps (N, C, h, w); style: ``style_stats`` output. Returns (N, 5) fp32 on the CPU, columns TAPS.
    """
    cols = []
    for tap in TAPS:
        (m, s), (sm, ss) = mean_std(feats[tap]), style[tap]
        cols.append(((m - sm) ** 2).mean((1, 2, 3)) + ((s - ss) ** 2).mean((1, 2, 3)))
    return torch.stack(cols, 1).cpu()


def style_loss(layer_losses: torch.Tensor) -> torch.Tensor:
    """The style loss: mean of S_l over the five layers, (N, 5) -> (N,)."""
    return layer_losses.mean(1)


def content_loss(feats: dict[str, torch.Tensor], content_feats: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean of MSE(relu4_1) and MSE(relu5_1), output taps (N, C, h, w) vs content taps (N or 1, C, h, w) -> (N,)."""
    per_tap = [((feats[t].float() - content_feats[t].float()) ** 2).mean((1, 2, 3)) for t in CONTENT_TAPS]
    return torch.stack(per_tap, 1).mean(1).cpu()


def relative_style_score(sum_losses: torch.Tensor, sum_identity: torch.Tensor) -> tuple[float, dict[str, float]]:
    """ratio_l = sum over pairs of S_l(output) / sum of S_l(content itself); score = mean ratio_l.

    sum_losses, sum_identity: (5,) per-layer sums over the pairs. Returns (score, {tap: ratio_l}),
    1.0 = the statistics of the content (no stylization), 0.0 = the style's statistics matched exactly.
    """
    ratios = (sum_losses.double() / sum_identity.double()).tolist()
    return float(np.mean(ratios)), dict(zip(TAPS, ratios))


# --- image references and SSIM ----------------------------------------------------------------------

def luma(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> BT.601 luminance Y float64 (H, W) in [0, 1]."""
    return rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114]) / 255.0


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM (Wang et al. 2004) of the luminance of two RGB uint8 (H, W, 3) images of equal size, >= 11 px.

    Gaussian window 11x11, sigma 1.5, C1 = 0.01^2, C2 = 0.03^2 (range 1), mean over the valid region.
    """
    if a.shape != b.shape or min(a.shape[:2]) < 11:
        raise ValueError(f"ssim needs two equal images of at least 11 px, got {a.shape} and {b.shape}")
    x, y = luma(a), luma(b)
    blur = lambda z: cv2.GaussianBlur(z, (11, 11), 1.5)[5:-5, 5:-5]  # noqa: E731  (valid region only)
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s.mean())


def _edge_contrast(rgb: np.ndarray) -> np.ndarray:
    """Per side (top, bottom, left, right): the largest per-channel absolute difference between the mean colour
    of the outermost 4-pixel band and that of the band 8-16 pixels in, 0-255 -> (4,) float64."""
    x = rgb.astype(np.float64)
    sides = (x, x[::-1], x.transpose(1, 0, 2), x.transpose(1, 0, 2)[::-1])
    return np.array([np.abs(s[:4].mean((0, 1)) - s[8:16].mean((0, 1))).max() for s in sides])


def border_score(out: np.ndarray, content: np.ndarray) -> float:
    """The border score of docs/evaluation.md: per side, the output's edge contrast (``_edge_contrast``) minus
    the content's; the worst side. RGB uint8 (H, W, 3) images of equal size, at least 16 px. About 0 when no
    frame is painted around the picture; a bright or coloured band along an edge gives tens."""
    if out.shape != content.shape or min(out.shape[:2]) < 16:
        raise ValueError(f"border_score needs two equal images of at least 16 px, got {out.shape}, {content.shape}")
    return float((_edge_contrast(out) - _edge_contrast(content)).max())


def _row_lines(rgb: np.ndarray, rows: int) -> np.ndarray:
    """Per side (top, bottom, left, right) and row (0 = the edge row, ``rows`` of them): how far the row's mean
    colour stands off the mean of its two neighbours on either side (mirrored at the edge), the largest
    channel's absolute difference, 0-255, in the LINE_SEGMENTS parts along the edge, the weakest part counting
    (a painted frame runs along the whole edge; most of the picture's own lines do not) -> (4, rows) float64."""
    x = rgb.astype(np.float64)
    out = []
    for s in (x, x[::-1], x.transpose(1, 0, 2), x.transpose(1, 0, 2)[::-1]):
        m = np.stack([p.mean(1) for p in np.array_split(s[:rows + 2], LINE_SEGMENTS, axis=1)])  # (parts, r, 3)
        m = np.concatenate([m[:, 2:0:-1], m], 1)  # row r sits at r + 2
        nb = (m[:, :rows] + m[:, 1:rows + 1] + m[:, 3:rows + 3] + m[:, 4:rows + 4]) / 4
        out.append(np.abs(m[:, 2:rows + 2] - nb).max(2).min(0))
    return np.array(out)


def edge_line_score(out: np.ndarray, content: np.ndarray) -> float | None:
    """How far the strongest line along an edge stands out: per side, the output's row lines (``_row_lines``)
    minus the content's, strongest of the LINE_DEPTH outermost rows minus strongest of the LINE_DEPTH rows
    after them (the picture's own texture); the worst side, 0-255. About 0 (within a few units: texture)
    without painted lines; a line of colour 20-30 px inside an edge, which the border score's bands (0-16 px)
    do not see, gives its contrast. RGB uint8 (H, W, 3) images of equal size; None when a side is under
    2 * LINE_DEPTH + 2 pixels."""
    if out.shape != content.shape:
        raise ValueError(f"edge_line_score needs two equal images, got {out.shape}, {content.shape}")
    if min(out.shape[:2]) < 2 * LINE_DEPTH + 2:
        return None
    d = _row_lines(out, 2 * LINE_DEPTH) - _row_lines(content, 2 * LINE_DEPTH)
    return float((d[:, :LINE_DEPTH].max(1) - d[:, LINE_DEPTH:].max(1)).max())


def reinhard(content: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Reinhard et al. 2001 colour transfer: give the content the style's per-channel Lab mean and std.

    content, style: RGB uint8 (H, W, 3) of any sizes -> RGB uint8 of the content's size (OpenCV float Lab).
    """
    lab_c = cv2.cvtColor(content.astype(np.float32) / 255, cv2.COLOR_RGB2Lab).reshape(-1, 3)
    lab_s = cv2.cvtColor(style.astype(np.float32) / 255, cv2.COLOR_RGB2Lab).reshape(-1, 3)
    scale = lab_s.std(0) / np.maximum(lab_c.std(0), 1e-6)
    lab = (lab_c - lab_c.mean(0)) * scale + lab_s.mean(0)
    rgb = cv2.cvtColor(lab.reshape(content.shape).astype(np.float32), cv2.COLOR_Lab2RGB)
    return (np.clip(rgb, 0, 1) * 255).round().astype(np.uint8)


# --- warping error (Lai et al. 2018) ------------------------------------------------------------------

def optical_flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Farneback flow from frame a to frame b (RGB uint8 (H, W, 3)) -> (H, W, 2) float32 (dx, dy) in pixels:
    pixel x of a moves to x + flow(x) in b."""
    ga, gb = (cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in (a, b))
    return cv2.calcOpticalFlowFarneback(ga, gb, None, **FARNEBACK)


def flow_warp(img: np.ndarray, flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``img`` (H, W, C) float32 at x + flow(x) (bilinear). Returns (warped, inside) where inside (H, W)
    bool marks pixels whose x + flow(x) lies within the frame."""
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx, my = gx + flow[..., 0], gy + flow[..., 1]
    out = cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return out, (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)


def valid_mask(fwd: np.ndarray, bwd: np.ndarray) -> np.ndarray:
    """Non-occluded pixels (H, W) bool from forward flow t->t+1 and backward flow t+1->t, each (H, W, 2).

    Occluded: |f + b^|^2 > 0.01 (|f|^2 + |b^|^2) + 0.5 with b^ = bwd sampled at x + f; motion boundary:
    |grad u|^2 + |grad v|^2 > 0.01 |f|^2 + 0.002 (central differences); and x + f outside the frame.
    """
    bwd_w, inside = flow_warp(bwd, fwd)
    f2, b2 = (fwd ** 2).sum(-1), (bwd_w ** 2).sum(-1)
    occluded = ((fwd + bwd_w) ** 2).sum(-1) > 0.01 * (f2 + b2) + 0.5
    grad2 = sum(g ** 2 for c in (0, 1) for g in np.gradient(fwd[..., c]))
    boundary = grad2 > 0.01 * f2 + 0.002
    return inside & ~occluded & ~boundary


def resize_to(frame: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> the same resized to hw = (H', W') (area when shrinking, else bilinear)."""
    if frame.shape[:2] == hw:
        return frame
    shrink = frame.shape[0] > hw[0]
    return cv2.resize(frame, (hw[1], hw[0]), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def error_map(o0: np.ndarray, o1: np.ndarray, fwd: np.ndarray) -> np.ndarray:
    """Per-pixel (warp(O1) - O0)^2, mean over R, G, B in [0, 1], of RGB uint8 frames -> (H, W) float32."""
    o1_w, _ = flow_warp(o1.astype(np.float32) / 255, fwd)
    return ((o1_w - o0.astype(np.float32) / 255) ** 2).mean(axis=2)


def _pair_error(o0: np.ndarray, o1: np.ndarray, fwd: np.ndarray, mask: np.ndarray) -> float | None:
    """sum M (warp(O1) - O0)^2 / (3 sum M) for RGB uint8 frames; None when the mask is empty."""
    if not mask.any():
        return None
    return float(error_map(o0, o1, fwd)[mask].mean(dtype=np.float64))


def pair_flow(i0: np.ndarray, i1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward flow of input frames i0 -> i1 and the mask M of pixels it holds for (see ``valid_mask``)."""
    fwd, bwd = optical_flow(i0, i1), optical_flow(i1, i0)
    return fwd, valid_mask(fwd, bwd)


def warping_errors(frames_out: Iterable[np.ndarray], frames_in: Iterable[np.ndarray]) -> tuple[float, float]:
    """Warping error of an output video and of its input, with the flow computed once on the input.

    frames_out, frames_in: equally long sequences or iterators of RGB uint8 (H, W, 3); output frames of
    another size are resized to the input's. Returns (E_out, E_in): the mean over t of
    sum M (warp(O_t+1) - O_t)^2 / (3 sum M), RGB in [0, 1]; pairs with an empty mask are skipped and the
    result is NaN when none is left (or fewer than two frames are given).
    """
    errs_out, errs_in, prev = [], [], None
    for o, i in zip(frames_out, frames_in):
        o = resize_to(o, i.shape[:2])
        if prev is not None:
            o0, i0 = prev
            fwd, mask = pair_flow(i0, i)
            e_out, e_in = _pair_error(o0, o, fwd, mask), _pair_error(i0, i, fwd, mask)
            if e_out is not None:
                errs_out.append(e_out)
                errs_in.append(e_in)
        prev = o, i
    mean = lambda e: float(np.mean(e)) if e else float("nan")  # noqa: E731
    return mean(errs_out), mean(errs_in)


def warping_error(frames_out: Iterable[np.ndarray], frames_in: Iterable[np.ndarray]) -> float:
    """Warping error E of ``frames_out`` with the flow of ``frames_in`` (see ``warping_errors``); >= 0."""
    return warping_errors(frames_out, frames_in)[0]
