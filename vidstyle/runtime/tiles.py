"""Tiles for frames too large to process whole: split a frame into overlapping tiles, run a model's two
passes over them, blend the results with feathered weights.

The two passes let a model whose output depends on whole-frame statistics (AdaIN) compute them once over
the entire frame, so that all tiles agree: ``encode`` maps each tile to features (kept), ``reduce`` turns the
features of the tiles' *cores* (a partition of the frame, so every pixel counts once) into global values, and
``decode`` maps each tile's features plus those values to its output. Each tile's output is weighted by a
sin^2 ramp over the middle half of the overlap at its edges inside the frame (edges on the frame's border
keep full weight), and the weighted sum is divided by the sum of weights: seams fade over overlap / 2
pixels, a tile's outermost overlap / 4 pixels inside the frame (reflection padding instead of the real
neighbourhood) do not count, and identical tile outputs blend back exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch


@dataclass(frozen=True)
class Tile:
    """One tile: ``box`` (y0, y1, x0, x1) is what the model sees, ``core`` (y0, y1, x0, x1) is the part of the
    frame it owns (the cores of a grid partition the frame). Both in frame pixels."""

    box: tuple[int, int, int, int]
    core: tuple[int, int, int, int]

    def core_in_box(self, scale: int = 1) -> tuple[slice, slice]:
        """The core's rows and columns inside the tile's own output, at 1/``scale`` resolution."""
        (by, _, bx, _), (y0, y1, x0, x1) = self.box, self.core
        return slice((y0 - by) // scale, (y1 - by) // scale), slice((x0 - bx) // scale, (x1 - bx) // scale)


def _layout(length: int, tile: int, overlap: int, multiple: int) -> tuple[list[int], int]:
    """(starts, side) of the fewest tiles of at most ``tile`` px that cover an axis with neighbours overlapping
    by at least ``overlap``: each as small as that allows (less work than full tiles overlapping more), spread
    evenly; starts and side are multiples of ``multiple`` and the last tile ends at ``length``."""
    if length <= tile:
        return [0], length
    n = math.ceil((length - overlap) / (tile - overlap))
    side = math.ceil((length + (n - 1) * overlap) / n / multiple) * multiple
    side = min(tile, max(side, 2 * overlap))
    return [(i * (length - side) // (n - 1)) // multiple * multiple for i in range(n)], side


def _cores(starts: list[int], side: int, length: int, multiple: int) -> list[tuple[int, int]]:
    """Each tile's core along one axis: cut at the middle of each overlap (on a ``multiple``)."""
    cuts = [0] + [(b + a + side) // 2 // multiple * multiple for a, b in zip(starts, starts[1:])]
    return list(zip(cuts, cuts[1:] + [length]))


def split(h: int, w: int, tile: int, overlap: int, multiple: int = 1) -> list[Tile]:
    """Tiles of at most ``tile`` x ``tile`` pixels covering an (h, w) frame, neighbours overlapping by at
    least ``overlap``; h, w, tile and overlap must be multiples of ``multiple`` and 0 <= 2 * overlap <= tile."""
    if any(v % multiple for v in (h, w, tile, overlap)) or not 0 <= 2 * overlap <= tile or tile <= 0:
        raise ValueError(f"bad tiling: {h}x{w} frame, tile {tile}, overlap {overlap}, multiple {multiple}")
    (ys, th), (xs, tw) = _layout(h, tile, overlap, multiple), _layout(w, tile, overlap, multiple)
    cy, cx = _cores(ys, th, h, multiple), _cores(xs, tw, w, multiple)
    return [Tile((y, y + th, x, x + tw), (*yc, *xc)) for y, yc in zip(ys, cy) for x, xc in zip(xs, cx)]


def _ramp(n: int, start: int, length: int, overlap: int) -> torch.Tensor:
    """Weights (n,) of a tile spanning [start, start + n) of an axis of ``length``: from each edge inside the
    frame, ~0 (1e-6) for the first quarter of ``overlap``, then rising as sin^2 to 1 over its middle half, so
    a seam is feathered over overlap / 2 px and no tile's output within overlap / 4 px of its edge counts."""
    d = torch.arange(n, dtype=torch.float32) + 0.5
    w = rise = torch.ones(n)
    if overlap:
        rise = torch.sin(((d - overlap / 4) / (overlap / 2)).clamp(0, 1) * math.pi / 2) ** 2
    if start > 0:
        w = w * rise
    if start + n < length:
        w = w * rise.flip(0)
    return w.clamp(min=1e-6)


def feather(t: Tile, h: int, w: int, overlap: int) -> torch.Tensor:
    """The tile's blending weights (th, tw), > 0, in a frame of (h, w)."""
    y0, y1, x0, x1 = t.box
    return _ramp(y1 - y0, y0, h, overlap)[:, None] * _ramp(x1 - x0, x0, w, overlap)[None, :]


def run_tiled(x: torch.Tensor, tiles: list[Tile], overlap: int, encode: Callable, reduce: Callable,
              decode: Callable, scale: int = 1) -> torch.Tensor:
    """(N, C, H, W) frames -> (N, C', H, W) fp32 outputs, tile by tile.

    encode(x_tile) -> features at 1/``scale`` resolution (kept for every tile); reduce(list of the features'
    core parts) -> global values; decode(features, global values) -> (N, C', th, tw) output of the tile."""
    h, w = x.shape[-2:]
    feats = [encode(x[..., y0:y1, x0:x1].contiguous(memory_format=torch.channels_last))
             for y0, y1, x0, x1 in (t.box for t in tiles)]
    glob = reduce([f[(..., *t.core_in_box(scale))] for f, t in zip(feats, tiles)])
    out = weight = None
    for i, t in enumerate(tiles):
        y = decode(feats[i], glob).float()
        feats[i] = None  # free as we go
        if out is None:
            out = torch.zeros(*y.shape[:2], h, w, device=y.device)
            weight = torch.zeros(1, 1, h, w, device=y.device)
        y0, y1, x0, x1 = t.box
        wt = feather(t, h, w, overlap).to(y.device)
        out[..., y0:y1, x0:x1] += y * wt
        weight[..., y0:y1, x0:x1] += wt
    return out.div_(weight)
