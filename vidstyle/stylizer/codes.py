"""An encoded style and the linear blend between two of them (the live cross-fade)."""
from __future__ import annotations

import numpy as np
import torch


class StyleCode(tuple):
    """An encoded style: the tensors the network's forward takes, plus ``net``, the network they belong to
    ('' for the model's own, else the id of a per-style network), and ``source``, the style image (RGB uint8
    (H, W, 3); None when there is none, e.g. a mix) that ``preserve_color='match'`` re-encodes."""

    def __new__(cls, tensors, net: str = "", source: np.ndarray | None = None):
        code = super().__new__(cls, tensors)
        code.net, code.source = net, source
        return code


def blend_codes(a: StyleCode, b: StyleCode, w: float) -> StyleCode | None:
    """The style code w of the way from a to b (each tensor linearly, w in [0, 1]), or None where they belong
    to different networks."""
    if getattr(a, "net", "") != getattr(b, "net", "") or len(a) != len(b):
        return None
    return StyleCode((torch.lerp(x, y, w) for x, y in zip(a, b)), getattr(b, "net", ""))
