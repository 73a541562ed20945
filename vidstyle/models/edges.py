"""Take away the frame a network paints along the image edges (``fix_edges``), for any model's output.

Zero padding tells every layer where the edge is, and a network turns that into lines of colour up to 30
pixels inside the edges (``fast``'s zero-padded encoder: 18-29 px in, with a band of other texture that only
training with replicate padding, ``fast.EdgeConv``, takes away); even with reflection padding a decoder that
mostly saw interior crops paints bright or dark bands there. ``fix_edges`` brings each of the outermost rows back to the
content's own edge profile, so the picture's own edge shading (a vignette) and the texture finer than
EDGE_ALONG pixels stay.
"""
from __future__ import annotations

from typing import Optional

import torch

EDGE_DEPTH, EDGE_REF = 32, (36, 48)  # rows corrected, and the reference band, in pixels from the edge
SMALL_DEPTH, SMALL_REF_LO, SMALL_REF_HI = 20, 24, 32  # the same for a side under MIN_EDGE_SIDE (at least 64)
EDGE_ALONG = 31  # pixels along the edge that one correction spans (odd)
MIN_EDGE_SIDE = 2 * EDGE_REF[1]  # smaller images get the SMALL_* correction (exported graphs: none smaller)
TAPER = 4  # the innermost corrected rows, over which the correction fades out


def fix_edges(y: torch.Tensor, x: torch.Tensor, min_side: int = MIN_EDGE_SIDE,
              small: tuple[int, int, int] = (SMALL_DEPTH, SMALL_REF_LO, SMALL_REF_HI)) -> torch.Tensor:
    """For each side, the local mean colour (over EDGE_ALONG pixels along the edge) of each of the EDGE_DEPTH
    outermost rows (columns), relative to the band EDGE_REF pixels in, is brought back to the content's
    (fading out over the innermost TAPER rows: ``taper``).
    y: output, x: content, both (N, 3, h, w); returns y corrected (differentiable; a side under ``min_side``:
    the ``small`` (depth, reference band) correction, and under twice its band's end y as it is)."""
    side = min(y.shape[-2], y.shape[-1])
    if side >= min_side:
        return edges_fixed(y, x)
    if side >= 2 * small[2]:
        return edges_fixed(y, x, small[0], small[1], small[2])
    return y


def edges_fixed(y: torch.Tensor, x: torch.Tensor, depth: int = EDGE_DEPTH, ref_lo: int = EDGE_REF[0],
                ref_hi: int = EDGE_REF[1], along: int = EDGE_ALONG) -> torch.Tensor:
    """``fix_edges`` without its size check (sides of at least MIN_EDGE_SIDE), for export graphs. Under
    no_grad / inference mode y is corrected in place (it is a fresh network output). The top and bottom
    edges are corrected together, then the left and right ones (so the corners are corrected once).

    Each pass gathers y - x of the ``depth`` outer rows at both edges, and the mean of the reference band,
    into one fp32 buffer (2N, depth + 1, length + along + 1, C), its ends padded by repetition, laid out as
    a channels-last y is (every op then runs along memory): one cumulative sum along the edge gives every
    box. On a channels-last 640x360 frame that takes 0.42 ms against 0.53 for a cat, a replicate pad and
    a cumsum per pass (2 threads; 0.57 against 0.85 on one; AMD EPYC, 400 interleaved calls); the buffer
    is filled by slice assignment, not ``out=`` or ``addcmul_``, so the function still exports to ONNX."""
    if torch.is_grad_enabled():
        y = y.clone()
    weights = (taper(depth, y.device) / along)[:, :, None]  # (depth, 1, 1): the box's division folded in
    n, c, half = y.shape[0], y.shape[1], along // 2
    for columns in [False, True]:
        yv, xv = _edge_major(y, columns), _edge_major(x, columns)  # (N, rows from the edge, along it, C)
        rows, length = yv.shape[1], yv.shape[2]
        padded = length + along + 1  # a zero, half copies of the first pixel, the row, half + 1 of the last
        if columns:
            buf = torch.empty(2 * n, padded, depth + 1, c, device=y.device).transpose(1, 2)
        else:
            buf = torch.empty(2 * n, depth + 1, padded, c, device=y.device)
        mid = buf[:, :, half + 1:half + 1 + length]
        mid[:n, :depth] = yv[:, :depth] - xv[:, :depth]
        mid[n:, :depth] = yv[:, rows - depth:] - xv[:, rows - depth:]  # in the frame's order: edge row last
        far_lo, far_hi = rows - ref_hi, rows - ref_lo
        mid[:n, depth:] = (yv[:, ref_lo:ref_hi] - xv[:, ref_lo:ref_hi]).mean(1, keepdim=True)
        mid[n:, depth:] = (yv[:, far_lo:far_hi] - xv[:, far_lo:far_hi]).mean(1, keepdim=True)
        buf[:, :, :1] = 0.0
        buf[:, :, 1:half + 1] = mid[:, :, :1]
        buf[:, :, half + 1 + length:] = mid[:, :, length - 1:]
        sums = buf.cumsum(2)
        box = sums[:, :, along:along + length] - sums[:, :, :length]  # each pixel's box along the edge
        e = box[:, :depth] - box[:, depth:]  # relative to the reference band's
        yv[:, :depth] -= e[:n] * weights
        yv[:, rows - depth:] -= e[n:] * weights.flip(0)
    return y


def _edge_major(t: torch.Tensor, columns: bool) -> torch.Tensor:
    """(N, C, H, W) -> a view (N, H, W, C), or (N, W, H, C) for the left and right edges (``columns``)."""
    t = t.permute(0, 2, 3, 1)
    return t.transpose(1, 2) if columns else t


def taper(depth: int, device: Optional[torch.device] = None, ramp: int = TAPER) -> torch.Tensor:
    """(depth, 1) weights of the correction by distance from the edge: 1, then down linearly over the last
    ``ramp`` rows, so no step is left where the corrected rows end (the border score's bands, rows 0-16,
    and the lines up to 27 px in stay fully corrected)."""
    return ((depth - torch.arange(depth, device=device, dtype=torch.float32)) / (ramp + 1)).clamp(max=1.0)[:, None]
