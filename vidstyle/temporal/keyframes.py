"""Keyframes carried by optical flow: a few frames are painted, the others are built from them.

Each in-between frame t is built from its two neighbouring keyframes k0 < t < k1 directly, never through a
chain of frames (nothing smears along the way):

- DIS flow between the small grey copies (``Shrunk``) of frame t and of each keyframe, both ways, gives the
  backward map of t into the keyframe (zero where zero motion explains a window as well, ``flow.settle``).
- Confidence c in [0, 1] per pixel: the forward-backward consistency of the two flows,
  exp(-|f + b(f)|^2 / (FB_REL (|f|^2 + |b|^2) + FB_PX)), times the colour agreement of the warped keyframe
  input with frame t, exp(-(d / SIGMA)^2) (d = max over R, G, B of the difference), 0 where the map leaves
  the frame.
- Each painting is warped once, bicubic (one resampling: the brush texture stays sharp), and the two are
  blended with weights c0 (1 - a) + FILL (1 - a) and c1 a + FILL a, a = (t - k0) / (k1 - k0): where neither
  keyframe covers a pixel well (occlusion, disocclusion) the time weights alone decide, so the nearest
  keyframe's warp fills it. The blend's fine detail is amplified back to the weighted detail energy of the two
  warps (``flow.restore_detail``): two brush textures that do not line up would otherwise average to mush.
- After a scene cut, a change of size, or at the end, there is no right keyframe: the left one's warp alone.

Keyframes (``Carrier.wants_key``): the first frame; every ``every``-th frame; each scene cut (``is_cut``
against the previous frame: painted at once, nothing carried across); a frame whose mean confidence against
the current keyframe falls below MIN_COVER. ``every=None`` (auto) replaces the fixed N by the motion: a new
keyframe once the frame has moved AUTO_MOTION of the short side from the keyframe on average (mean length of
the flow into it), and at the latest AUTO_MAX frames after it.

May import: NumPy and OpenCV only.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .base import Shrunk, grow, is_cut, shrink
from .flow import detail_energy, pixel_grid, restore_detail, settle

FB_REL, FB_PX = 0.01, 1.0  # forward-backward tolerance: relative to the squared motion, plus px^2 (small grid)
SIGMA = 30.0  # colour-difference scale (0-255) of the agreement test
FILL = 0.02  # weight of the time-only blend where neither keyframe covers a pixel
MIN_COVER = 0.55  # mean confidence against the keyframe below which a frame is painted
AUTO_MOTION = 0.1  # auto: mean motion from the keyframe, as a fraction of the short side, that calls a new one
AUTO_MAX = 12  # auto: the most frames from one keyframe to the next
OFF = 255  # colour difference marking a pixel whose map leaves the frame


@dataclass
class Side:
    """Frame t against a keyframe, on the small grid (h, w): the backward map (h, w, 2) float32 of t's pixels
    into the keyframe, the confidence (h, w) float32 in [0, 1], its mean ``cover`` and the mean motion as a
    fraction of the short side."""

    m: np.ndarray
    conf: np.ndarray
    cover: float
    motion: float


@dataclass
class View:
    """A frame as the carrier sees it: its index, its small copies, and its side against the current keyframe
    (None: no keyframe yet, a scene cut or a change of size)."""

    index: int
    small: Shrunk
    left: Side | None


@dataclass
class Key:
    """A painted keyframe: its index, the small copies of its input, and its painting RGBA uint8 (H, W, 4)
    at the processing size (RGBA: OpenCV warps four channels much faster than three)."""

    index: int
    small: Shrunk
    rgba: np.ndarray


class Carrier:
    """Chooses keyframes and builds the frames between them (see the module docstring).

    every: paint every N-th frame at least (1: every frame); None: auto, from the motion.
    """

    def __init__(self, every: int | None = None):
        if every is not None and every < 1:
            raise ValueError(f"keyframe interval must be at least 1, got {every}")
        self.every = every
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        lut = np.exp(-((np.arange(256, dtype=np.float32) / SIGMA) ** 2)).astype(np.float32)
        lut[OFF] = 0.0
        self._lut = lut
        self._prev: Shrunk | None = None
        self._count = 0

    def view(self, inp: np.ndarray, key: Key | None) -> View:
        """The next frame of the stream, its input RGB uint8 (H, W, 3) at the processing size, seen against
        ``key`` (the current keyframe)."""
        small, prev = Shrunk(inp), self._prev
        self._prev, self._count = small, self._count + 1
        same_shot = (key is not None and key.small.shape == small.shape and prev is not None
                     and prev.shape == small.shape and not is_cut(small.thumb, prev.thumb))
        return View(self._count - 1, small, self.side(small, key.small) if same_shot else None)

    def wants_key(self, view: View, key: Key | None) -> bool:
        """Whether ``view`` must be painted (see the module docstring)."""
        side = view.left
        if key is None or side is None or side.cover < MIN_COVER:
            return True
        gap = view.index - key.index
        if self.every is not None:
            return gap >= self.every
        return gap >= AUTO_MAX or side.motion > AUTO_MOTION

    @staticmethod
    def key(view: View, painting: np.ndarray) -> Key:
        """The keyframe of ``view`` painted as ``painting`` RGB uint8 (H, W, 3) at the processing size."""
        return Key(view.index, view.small, cv2.cvtColor(painting, cv2.COLOR_RGB2RGBA))

    def side(self, small: Shrunk, key: Shrunk) -> Side:
        """Frame ``small`` against keyframe ``key`` (both the same size)."""
        h, w = small.grey.shape
        grid = pixel_grid(h, w)
        m = settle(grid + self._dis.calc(small.grey, key.grey, None), grid, small.grey, key.grey)
        back = settle(grid + self._dis.calc(key.grey, small.grey, None), grid, key.grey, small.grey) - grid
        fx, fy = cv2.split(m - grid)
        bx, by = cv2.split(cv2.remap(back, m, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
        moved = cv2.magnitude(fx, fy)
        tol = cv2.add(cv2.multiply(cv2.add(cv2.multiply(moved, moved), cv2.magnitude(bx, by) ** 2), FB_REL), FB_PX)
        loop = cv2.magnitude(cv2.add(fx, bx), cv2.add(fy, by))
        consistent = cv2.exp(cv2.divide(cv2.multiply(loop, loop), tol, scale=-1.0))
        warped = cv2.remap(key.rgba, m, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        r, g, bl, _ = cv2.split(cv2.absdiff(warped, small.rgba))
        d = cv2.min(cv2.max(cv2.max(r, g), bl), OFF - 1)
        off = cv2.remap(np.zeros((h, w), np.uint8), m, None, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                        borderValue=OFF)
        conf = cv2.multiply(consistent, cv2.LUT(cv2.max(d, off), self._lut))
        return Side(m, conf, cv2.mean(conf)[0], cv2.mean(moved)[0] / min(h, w))

    def carry(self, view: View, left: Key, right: Key | None) -> np.ndarray:
        """Frame ``view`` built from keyframe ``left`` (against which ``view.left`` was seen) and ``right``
        (None: none; a later keyframe of the same shot) -> RGB uint8 (H, W, 3) at the processing size."""
        w0 = warp(left.rgba, view.left.m, view.small.k)
        if right is None:
            return w0
        side = self.side(view.small, right.small)
        w1 = warp(right.rgba, side.m, view.small.k)
        a = (view.index - left.index) / (right.index - left.index)
        c0 = (view.left.conf + FILL) * (1.0 - a)
        c1 = (side.conf + FILL) * a
        n0 = c0 / (c0 + c1)
        full = grow(n0, w0.shape[:2])
        mixed = cv2.blendLinear(w0, w1, full, 1.0 - full)
        k = view.small.k
        s0 = shrink(n0, 4)
        energy = s0 * detail_energy(w0, k) + (1.0 - s0) * detail_energy(w1, k)
        return restore_detail(mixed, energy, k)


def warp(rgba: np.ndarray, m: np.ndarray, k: int) -> np.ndarray:
    """A painting RGBA uint8 (H, W, 4) moved by the small grid's backward map ``m`` (h, w, 2) (shrunk by k),
    sampled once, bicubic -> RGB uint8 (H, W, 3)."""
    hw = rgba.shape[:2]
    if k > 1 or m.shape[:2] != hw:
        small = pixel_grid(*m.shape[:2])
        m = cv2.add(grow(cv2.addWeighted(m, k, small, -k, 0.0), hw), pixel_grid(*hw))
    return cv2.cvtColor(cv2.remap(rgba, m, None, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE),
                        cv2.COLOR_RGBA2RGB)
