"""Temporal consistency for stylized video: ``make_temporal(mode)(inp, styl) -> out``, one frame at a time.

All modes are causal (they use frames <= t only) and work on RGB uint8 (H, W, 3) frames; ``inp`` is the
input frame and ``styl`` the stylized frame y_t, both of the same size. History is dropped on ``reset()``,
on a change of frame size and on a scene cut (``is_cut``), so the first frame of a new shot is y_t exactly.

- ``off``: out_t = y_t.
- ``ema``: out_t = (1 - b) y_t + b out_{t-1}. Cheap; ghosts on motion.
- ``flow`` (default for video): optical flow guided blending that keeps the style's texture (``flow.py``).

``keyframes.Carrier`` is not a mode: it builds the frames between painted keyframes (file mode's
``--keyframes``), looking ahead.

May import: NumPy and OpenCV only (no torch: this runs beside the model, on CPU frames).
"""
from __future__ import annotations

from .base import Off, Temporal
from .ema import EMA
from .flow import Flow

KINDS = {"off": Off, "ema": EMA, "flow": Flow}
MODES = tuple(KINDS)
DEFAULT_STRENGTH = {k: v.default_strength for k, v in KINDS.items()}
__all__ = ["MODES", "DEFAULT_STRENGTH", "Temporal", "make_temporal"]


def make_temporal(mode: str = "flow", strength: float | None = None, **options) -> Temporal:
    """A temporal-consistency stage: 'off', 'ema' or 'flow'; ``strength`` is b (None = the mode's default)."""
    if mode not in KINDS:
        raise ValueError(f"unknown temporal mode '{mode}' (use {', '.join(MODES)})")
    return KINDS[mode](strength, **options)
