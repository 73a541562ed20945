"""Synthetic test clips with ground-truth motion.

A textured still (a deterministic mix of coloured sinusoids, evaluated analytically so sub-pixel motion
needs no resampling) is panned and zoomed by a known amount per frame; a solid-coloured disc with its
own velocity is composited on top. Frames are RGB uint8 (H, W, 3); masks are bool (H, W), True on the disc.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

DISC_COLOUR = (230, 40, 60)


class Clip(NamedTuple):
    frames: list[np.ndarray]  # RGB uint8 (H, W, 3)
    masks: list[np.ndarray]  # bool (H, W), the moving object
    motions: list[np.ndarray]  # (2, 3) float affine maps taking background pixel coordinates of frame t-1
    # to frame t (cv2.warpAffine convention); motions[0] is the identity


def texture(u: np.ndarray, v: np.ndarray, seed: int = 0, waves: int = 16) -> np.ndarray:
    """Smooth random texture at continuous coordinates u, v (any shape) -> float RGB (..., 3) in [20, 235].
    Periods of 5 to 40 pixels, so it has fine detail."""
    rng = np.random.default_rng(seed)
    period = rng.uniform(5.0, 40.0, waves)
    angle = rng.uniform(0.0, np.pi, waves)
    phase = rng.uniform(0.0, 2 * np.pi, waves)
    colour = rng.uniform(-1.0, 1.0, (waves, 3))
    img = np.zeros(u.shape + (3,))
    for p, a, ph, c in zip(period, angle, phase, colour):
        img += np.sin(2 * np.pi * (u * np.cos(a) + v * np.sin(a)) / p + ph)[..., None] * c
    img *= 107.5 / np.abs(img).max()
    return img + 127.5


def panning_clip(n: int = 24, h: int = 96, w: int = 128, dx: float = 2.0, dy: float = 0.0, zoom: float = 0.0,
                 seed: int = 0, obj: bool = True, obj_v: tuple[float, float] = (-3.0, 1.5),
                 radius: float = 12.0) -> Clip:
    """The texture moves by (dx, dy) pixels per frame and is scaled by (1 + zoom) per frame about the frame
    centre; the disc (if ``obj``) moves by ``obj_v`` pixels per frame, starting where it stays in view."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    start = np.array([cx, cy]) - (n - 1) / 2 * np.array(obj_v)
    frames, masks, motions = [], [], []
    for t in range(n):
        z = (1.0 + zoom) ** t
        # frame t shows the still at u = c + (x - c) / z - t * d
        img = texture(cx + (xs - cx) / z - t * dx, cy + (ys - cy) / z - t * dy, seed)
        px, py = start + t * np.array(obj_v)
        mask = (xs - px) ** 2 + (ys - py) ** 2 <= radius ** 2 if obj else np.zeros((h, w), bool)
        img[mask] = DISC_COLOUR
        frames.append(np.clip(np.rint(img), 0, 255).astype(np.uint8))
        masks.append(mask)
        motions.append(_step_affine(t, zoom, dx, dy, cx, cy))
    return Clip(frames, masks, motions)


def _step_affine(t: int, zoom: float, dx: float, dy: float, cx: float, cy: float) -> np.ndarray:
    """The (2, 3) map x_{t-1} -> x_t of the background (identity for t = 0)."""
    if t == 0:
        return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    s = 1.0 + zoom
    # u = c + (x_t - c) / z_t - t d = c + (x_{t-1} - c) / z_{t-1} - (t - 1) d  =>  x_t = c + s (x_{t-1} - c + z_{t-1} d)
    zp = s ** (t - 1)
    return np.array([[s, 0.0, cx - s * cx + s * zp * dx], [0.0, s, cy - s * cy + s * zp * dy]])


def static_clip(n: int = 24, h: int = 96, w: int = 128, obj_v: tuple[float, float] = (-3.0, 1.5),
                seed: int = 0) -> Clip:
    """A still textured background with only the disc moving."""
    return panning_clip(n, h, w, dx=0.0, dy=0.0, seed=seed, obj=True, obj_v=obj_v)


def cut_clip(n: int = 12, cut: int = 6, h: int = 96, w: int = 128) -> Clip:
    """A slow pan that switches at frame ``cut`` to another, darker still (another seed, 60% brightness),
    as a new shot usually differs in layout and exposure."""
    a = panning_clip(n, h, w, dx=1.0, seed=0, obj=False)
    b = panning_clip(n, h, w, dx=1.0, seed=7, obj=False)
    frames = a.frames[:cut] + [(f * 0.6).astype(np.uint8) for f in b.frames[cut:]]
    motions = a.motions[:cut] + [np.full((2, 3), np.nan)] + b.motions[cut + 1:]
    return Clip(frames, a.masks, motions)
