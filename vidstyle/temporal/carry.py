"""Live keyframes: the newest painting, carried by optical flow to every camera frame.

A painter (``pipelines.painted``) paints a frame now and then, which takes many frame intervals, while the
camera goes on. ``LiveCarrier`` follows every frame and never looks ahead:

- ``next(inp)``: DIS flow (ultrafast, on the small grey copies ``Shrunk``) gives the backward map of frame t
  into frame t-1, zeroed where zero motion explains a window as well (``flow.settle``). Every tracked frame j
  (the keyframe, the frame being painted, a keyframe fading out) keeps the map of the present frame into j:
  the last one composed with the new step (a remap of the map) starts DIS again, from frame t straight into
  frame j, so large motion is followed and sub-pixel errors do not add up along the chain (DIS under-estimates
  each step by a few hundredths of a pixel). No picture is resampled along the chain: the painting is warped
  from its own pixels, once per output frame (bicubic).
- Confidence c in [0, 1] per pixel: the colour agreement of frame j's input, warped by its map, with frame t,
  exp(-(d / SIGMA)^2) (d = max over R, G, B), 0 where the map has left the frame. It checks the whole chain at
  once, so drift, occlusion and newly visible content all lower it.
- ``render()``: out = c warp(painting) + (1 - c) fill. The fill (``fill='colour'``) is frame t through the
  affine colour map (3 x 4, ``colour_map`` of the small copies) that gives the keyframe's input the colours
  and contrast of its painting: the painting's palette without its strokes, and nothing that can smear.
  ``fill='previous'`` puts the previous output, warped by the step's flow, in front of it where the step's own
  colour agreement holds (strokes carried on from frame to frame, resampled each time).
- ``mark()`` starts tracking the present frame when it goes to the painter; ``painted(mark, painting)`` makes
  it the keyframe, its map already carried to the present. The old keyframe fades out over ``fade`` frames:
  the two warps are blended with weights c_old (1 - a) + FILL (1 - a) and c_new a + FILL a, a = i / fade, and
  the fill's colour maps likewise, so strokes that differ cross-fade instead of popping. A painting that comes
  during a fade waits (followed like the others) until the fade is over.
- A scene cut or a change of size drops every tracked frame: the fill alone (the last colour map) until the
  painting of a frame of the new shot arrives.

May import: NumPy and OpenCV only.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .base import Shrunk, grow, is_cut, shrink
from .flow import pixel_grid, settle
from .keyframes import warp

SIGMA = 30.0  # colour-difference scale (0-255) of the agreement test
FADE = 6  # frames over which a new painting replaces the old one
FILL = 0.02  # weight of the time-only blend where neither painting covers a pixel
OFF = 255  # colour difference marking a pixel whose map has left the frame
COV_FLOOR = 1.0  # added to the colour covariances (levels^2): a flat or black frame still has a map
FILLS = ("colour", "previous")


@dataclass
class Track:
    """A frame followed to the present: its small copies, the backward map (h, w, 2) float32 of the present
    frame into it (small grid), the confidence (h, w) float32 in [0, 1] and its mean ``cover``; once painted,
    its painting RGBA uint8 (H, W, 4) at the processing size and the colour map (3, 4) float64 input ->
    painting."""

    small: Shrunk
    m: np.ndarray
    conf: np.ndarray | None
    cover: float = 1.0
    rgba: np.ndarray | None = None
    colour: np.ndarray | None = field(default=None, repr=False)


class LiveCarrier:
    """Carries the newest painting to each new frame (see the module docstring). Frames are RGB uint8
    (H, W, 3) at the processing size.

    fade: frames over which a new painting replaces the old one (1: at once); fill: 'colour' or 'previous'.
    """

    def __init__(self, fade: int = FADE, fill: str = "colour"):
        if fade < 1:
            raise ValueError(f"fade must be at least 1 frame, got {fade}")
        if fill not in FILLS:
            raise ValueError(f"fill must be one of {FILLS}, got {fill!r}")
        self.fade, self.fill = fade, fill
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        lut = np.exp(-((np.arange(256, dtype=np.float32) / SIGMA) ** 2)).astype(np.float32)
        lut[OFF] = 0.0
        self._lut = lut
        self.colour: np.ndarray | None = None  # the last painting's colour map: kept across cuts
        self._marks = 0
        self.reset()

    def reset(self) -> None:
        """Forget every tracked frame (a style or size change, the original shown for a while)."""
        self.inp: np.ndarray | None = None
        self.small: Shrunk | None = None
        self.key: Track | None = None
        self.old: Track | None = None
        self.waiting: Track | None = None
        self.last: Track | None = None  # the previous output, followed by one step (fill 'previous')
        self._out: np.ndarray | None = None  # the previous output, RGBA (fill 'previous')
        self.pending: dict[int, Track] = {}
        self.faded = 0

    @property
    def cover(self) -> float:
        """Mean confidence of the keyframe in the present frame (0 when there is none)."""
        return self.key.cover if self.key is not None else 0.0

    def next(self, inp: np.ndarray) -> None:
        """Move every tracked frame on to the new present frame ``inp``."""
        cur, prev = Shrunk(inp), self.small
        self.inp, self.small = inp, cur
        if prev is None or prev.shape != cur.shape or is_cut(cur.thumb, prev.thumb):
            self.key = self.old = self.waiting = self.last = self._out = None
            self.pending.clear()
            return
        h, w = cur.grey.shape
        grid = pixel_grid(h, w)
        step = settle(grid + self._dis.calc(cur.grey, prev.grey, None), grid, cur.grey, prev.grey)
        self.last = None if self._out is None else Track(prev, step, None, rgba=self._out)
        if self.last is not None:
            self._confide(self.last, cur)
        for t in self._tracks():
            init = cv2.subtract(cv2.remap(t.m, step, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), grid)
            t.m = settle(grid + self._dis.calc(cur.grey, t.small.grey, init), grid, cur.grey, t.small.grey)
            self._confide(t, cur)
        if self.old is not None:
            self.faded += 1
            if self.faded >= self.fade:
                self.old = None
                if self.waiting is not None:
                    self._promote(self.waiting)

    def mark(self) -> int:
        """Start following the present frame, which goes to the painter; returns its mark."""
        if self.small is None:
            raise RuntimeError("mark() needs a frame: call next() first")
        h, w = self.small.grey.shape
        self._marks += 1
        self.pending[self._marks] = Track(self.small, pixel_grid(h, w).copy(), np.ones((h, w), np.float32))
        return self._marks

    def painted(self, mark: int, painting: np.ndarray) -> bool:
        """The painting RGB uint8 (H, W, 3), at the processing size, of the frame ``mark`` was given for: it
        becomes the keyframe (once a fade under way is over). False (and nothing changes) when that frame is
        no longer followed (a scene cut or a reset since) or the painting is of another size."""
        t = self.pending.pop(mark, None)
        for older in [m for m in self.pending if m < mark]:
            del self.pending[older]
        if t is None or painting.shape != t.small.shape:
            return False
        t.rgba = cv2.cvtColor(painting, cv2.COLOR_RGB2RGBA)
        t.colour = colour_map(t.small.rgba, shrink(t.rgba, t.small.k))
        if self.old is not None:
            self.waiting = t
        else:
            self._promote(t)
        return True

    def _promote(self, t: Track) -> None:
        """Painted frame ``t`` becomes the keyframe; the one before fades out."""
        self.old, self.key, self.waiting, self.faded = self.key, t, None, 0
        self.colour = t.colour
        if self.fade == 1:
            self.old = None

    def render(self) -> np.ndarray:
        """The output for the present frame: RGB uint8 (H, W, 3)."""
        if self.inp is None:
            raise RuntimeError("render() needs a frame: call next() first")
        colour = self.colour
        if self.old is not None:
            a = self.faded / self.fade
            colour = (1.0 - a) * self.old.colour + a * colour
        fill = self.inp if colour is None else cv2.transform(self.inp, colour)
        hw, k = self.inp.shape[:2], self.small.k
        if self.last is not None:
            c = grow(self.last.conf, hw)
            fill = cv2.blendLinear(warp(self.last.rgba, self.last.m, k), fill, c, 1.0 - c)
        out = fill if self.key is None else self._painted(fill, hw, k)
        if self.fill == "previous":
            self._out = cv2.cvtColor(out, cv2.COLOR_RGB2RGBA)
        return out

    def _painted(self, fill: np.ndarray, hw: tuple[int, int], k: int) -> np.ndarray:
        """The keyframe (and the one fading out) warped to the present, over ``fill`` where it is not sure."""
        painting = warp(self.key.rgba, self.key.m, k)
        cover = self.key.conf
        if self.old is not None:
            a = self.faded / self.fade
            c0, c1 = (self.old.conf + FILL) * (1.0 - a), (self.key.conf + FILL) * a
            n0 = grow(c0 / (c0 + c1), hw)
            painting = cv2.blendLinear(warp(self.old.rgba, self.old.m, k), painting, n0, 1.0 - n0)
            cover = cv2.addWeighted(self.old.conf, 1.0 - a, self.key.conf, a, 0.0)
        c = grow(cover, hw)
        return cv2.blendLinear(painting, fill, c, 1.0 - c)

    def _tracks(self) -> list[Track]:
        return [t for t in (self.key, self.old, self.waiting, *self.pending.values()) if t is not None]

    def _confide(self, t: Track, cur: Shrunk) -> None:
        """Set ``t``'s confidence in the present frame ``cur`` from the colour agreement of its warped input."""
        warped = cv2.remap(t.small.rgba, t.m, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        r, g, b, _ = cv2.split(cv2.absdiff(warped, cur.rgba))
        d = cv2.min(cv2.max(cv2.max(r, g), b), OFF - 1)
        h, w = cur.grey.shape
        off = cv2.remap(np.zeros((h, w), np.uint8), t.m, None, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                        borderValue=OFF)
        t.conf = cv2.LUT(cv2.max(d, off), self._lut)
        t.cover = cv2.mean(t.conf)[0]


def colour_map(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The affine colour map (3, 4) float64, for ``cv2.transform``, that gives the pixels of ``src`` the mean and
    the colour covariance of those of ``dst`` (both RGB or RGBA uint8 (h, w, >= 3), the same size), moving
    them as little as that allows: T = S^-1/2 (S^1/2 D S^1/2)^1/2 S^-1/2, S and D the covariances (the linear
    Monge-Kantorovich map of colour transfer). A least-squares fit would shrink the painting's contrast
    towards its mean colour wherever the painting is not a function of the colour alone (its strokes)."""
    x = src[..., :3].reshape(-1, 3).astype(np.float64)
    y = dst[..., :3].reshape(-1, 3).astype(np.float64)
    mx, my = x.mean(0), y.mean(0)
    s = np.cov(x, rowvar=False) + COV_FLOOR * np.eye(3)
    d = np.cov(y, rowvar=False) + COV_FLOOR * np.eye(3)
    root = _sqrtm(s)
    inv = np.linalg.inv(root)
    t = inv @ _sqrtm(root @ d @ root) @ inv
    return np.hstack([t, (my - t @ mx)[:, None]])


def _sqrtm(c: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite (3, 3) matrix."""
    w, v = np.linalg.eigh(c)
    return (v * np.sqrt(np.maximum(w, 0.0))) @ v.T
