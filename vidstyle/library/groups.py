"""Grouping the library's styles by their features: k-means on the styles' VGG19 relu1_1..relu4_1 mean/std (the
fast model's style-MLP input, as it sees them: log1p), written here in numpy and seeded, so the same library
always gives the same groups. Each of the 8 blocks (mean and std at 4 layers) is centred and scaled to unit total
variance over the library, so colour (relu1_1, 64 channels) counts as much as texture (relu4_1, 512)."""
from __future__ import annotations

import math
import os

import numpy as np

from ..errors import VidstyleError
from ..styles import library_codes_dir, library_index

SEED, RESTARTS, ITERATIONS = 0, 10, 100


def auto_k(n: int) -> int:
    """The number of groups when none is asked for: ceil(sqrt(n / 2)) (1 for up to 2 styles, 2 up to 8, ...)."""
    return max(1, math.ceil(math.sqrt(n / 2)))


def features(names: list[str], index: dict) -> np.ndarray:
    """(n, 1920) float64 normalised features of the named library styles."""
    import torch

    blocks = []
    for name in names:
        path = os.path.join(library_codes_dir(), index["styles"][name].get("features") or "-")
        try:
            stats = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # noqa: BLE001 - missing or torn: the same advice either way
            raise VidstyleError(f"library style '{name}' has lost its features ({path}): add it again with "
                                "`vidstyle styles add IMG --name NAME --overwrite`") from None
        blocks.append([torch.log1p(t.float().flatten()).double().numpy() for t in stats])
    out = []
    for b in range(len(blocks[0])):
        x = np.stack([row[b] for row in blocks])
        x = x - x.mean(0)
        spread = math.sqrt(float((x * x).sum()) / len(x))
        out.append(x / spread if spread > 0 else x)
    return np.concatenate(out, 1)


def kmeans(x: np.ndarray, k: int, seed: int = SEED, restarts: int = RESTARTS,
           iterations: int = ITERATIONS) -> np.ndarray:
    """Cluster the rows of x (n, d) into k groups: Lloyd's iterations from a k-means++ start, the best of
    ``restarts`` (least within-group squared distance); returns labels (n,) in [0, k)."""
    rng = np.random.default_rng(seed)
    best, best_cost = None, math.inf
    for _ in range(restarts):
        centres = _plus_plus(x, k, rng)
        for _ in range(iterations):
            labels = _nearest(x, centres)
            moved = np.stack([x[labels == j].mean(0) if (labels == j).any() else centres[j] for j in range(k)])
            if np.allclose(moved, centres):
                break
            centres = moved
        labels = _nearest(x, centres)
        cost = float(((x - centres[labels]) ** 2).sum())
        if cost < best_cost - 1e-9:
            best, best_cost = labels, cost
    return best


def _nearest(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return ((x[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)


def _plus_plus(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k starting centres: the first at random, each next one drawn with probability ~ squared distance."""
    centres = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        d2 = ((x[:, None, :] - np.stack(centres)[None]) ** 2).sum(-1).min(1)
        p = d2 / d2.sum() if d2.sum() > 0 else np.full(len(x), 1 / len(x))
        centres.append(x[rng.choice(len(x), p=p)])
    return np.stack(centres)


def group_styles(k: int | None = None) -> tuple[dict[str, int], int]:
    """({name: group number from 1}, k) for the library, in ``k`` groups (None: the number last asked for by
    ``styles list --groups K``, else ``auto_k``). Groups are numbered in the order of their first name."""
    index = library_index()
    names = sorted(index["styles"])
    if not names:
        raise VidstyleError("the style library is empty: add styles with `vidstyle styles add IMG`")
    k = k or min(index.get("groups") or auto_k(len(names)), len(names))
    if not 1 <= k <= len(names):
        raise VidstyleError(f"cannot make {k} groups of {len(names)} library styles (use 1 to {len(names)})")
    labels = kmeans(features(names, index), k) if k > 1 else np.zeros(len(names), int)
    order = {}
    for label in labels:
        order.setdefault(int(label), len(order) + 1)
    return {name: order[int(label)] for name, label in zip(names, labels)}, k
