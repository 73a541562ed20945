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
import torch.nn.functional as F

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
    edges are corrected together, then the left and right ones (so the corners are corrected once)."""
    if torch.is_grad_enabled():
        y = y.clone()
    weights = taper(depth, y.device) / along  # the box filter's division folded in
    half = along // 2
    for columns in [False, True]:
        yv = y.transpose(-1, -2) if columns else y  # a view: writes go to y
        xv = x.transpose(-1, -2) if columns else x
        n = yv.shape[-2]
        near = yv[..., :ref_hi, :] - xv[..., :ref_hi, :]
        far = yv[..., n - ref_hi:, :] - xv[..., n - ref_hi:, :]
        d = torch.cat([near, far.flip(-2)])  # (2N, C, ref_hi, L): row 0 is the edge row on both sides
        e = d[..., :depth, :] - d[..., ref_lo:, :].mean(-2, keepdim=True)
        sums = F.pad(e, (half + 1, half, 0, 0), mode="replicate").cumsum(-1)  # a box along L, ends repeated
        delta = ((sums[..., along:] - sums[..., :-along]) * weights).to(y.dtype)
        yv[..., :depth, :] -= delta[:y.shape[0]]
        yv[..., n - depth:, :] -= delta[y.shape[0]:].flip(-2)
    return y


def taper(depth: int, device: Optional[torch.device] = None, ramp: int = TAPER) -> torch.Tensor:
    """(depth, 1) weights of the correction by distance from the edge: 1, then down linearly over the last
    ``ramp`` rows, so no step is left where the corrected rows end (the border score's bands, rows 0-16,
    and the lines up to 27 px in stay fully corrected)."""
    return ((depth - torch.arange(depth, device=device, dtype=torch.float32)) / (ramp + 1)).clamp(max=1.0)[:, None]
