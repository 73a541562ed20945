"""What every temporal mode shares: the input checks, the small copies of past input frames, scene cuts.

Frames are RGB uint8 (H, W, 3). History is dropped on ``reset()``, on a change of frame size and on a scene
cut (``is_cut``), so the first frame of a new shot is y_t exactly.
"""
from __future__ import annotations

import cv2
import numpy as np

FLOW_SHORT = 180  # about the short side in pixels of the small images that history and flow work on
THUMB_SHORT = 18  # short side of the scene-cut thumbnail
CUT_MAD = 30.0  # mean absolute grey difference (0-255) between thumbnails that marks a scene cut


def _check(inp: np.ndarray, styl: np.ndarray) -> None:
    for name, a in (("inp", inp), ("styl", styl)):
        if not isinstance(a, np.ndarray) or a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3:
            raise ValueError(f"{name} must be an RGB uint8 (H, W, 3) array, got {getattr(a, 'dtype', type(a))} "
                             f"{getattr(a, 'shape', '')}")
    if inp.shape != styl.shape:
        raise ValueError(f"inp and styl must have the same size, got {inp.shape} and {styl.shape}")


def thumbnail(img: np.ndarray, short: int) -> np.ndarray:
    """Area-downscale so the short side is ``short`` pixels; never upscales."""
    h, w = img.shape[:2]
    s = short / min(h, w)
    if s >= 1.0:
        return img
    return cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def shrink_factor(shape: tuple) -> int:
    """The whole factor k >= 1 that brings the short side of a (H, W, ...) frame nearest FLOW_SHORT."""
    return max(1, round(min(shape[:2]) / FLOW_SHORT))


def shrink(img: np.ndarray, k: int) -> np.ndarray:
    """Mean of each k x k block: (H, W, ...) -> (H // k, W // k, ...); the last H % k rows and W % k columns
    are left out. A whole factor keeps OpenCV's area resize on its fast path (5-20x faster at 640x480), and
    an even one on uint8 is done by halving first, OpenCV's fastest case (3-6x faster again; each halving
    rounds to a whole level)."""
    if k == 1:
        return img
    if k % 2 == 0 and k > 2 and img.dtype == np.uint8:
        return shrink(shrink(img, 2), k // 2)
    h, w = img.shape[:2]
    return cv2.resize(img[:h - h % k, :w - w % k], (w // k, h // k), interpolation=cv2.INTER_AREA)


def grow(a: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Bilinear upscale of a small-grid array (h, w, ...) float32 to the frame's hw = (H, W). The frame's
    last H % k rows and W % k columns, which ``shrink`` leaves out, stretch it by under a pixel."""
    return a if a.shape[:2] == hw else cv2.resize(a, (hw[1], hw[0]), interpolation=cv2.INTER_LINEAR)


class Shrunk:
    """What the history keeps of an input frame: its size, the shrink factor k, a small RGBA copy (shrunk by
    k), its grey version and a tiny grey thumbnail (float32) for scene-cut detection."""

    def __init__(self, inp: np.ndarray):
        self.shape, self.k = inp.shape, shrink_factor(inp.shape)
        self.rgba = cv2.cvtColor(shrink(inp, self.k), cv2.COLOR_RGB2RGBA)
        self.grey = cv2.cvtColor(self.rgba, cv2.COLOR_RGBA2GRAY)
        self.thumb = thumbnail(self.grey, THUMB_SHORT).astype(np.float32)


def is_cut(thumb: np.ndarray, prev_thumb: np.ndarray) -> bool:
    """True when two thumbnails differ by more than CUT_MAD grey levels on average (a new shot)."""
    return float(cv2.absdiff(thumb, prev_thumb).mean()) > CUT_MAD


class Temporal:
    """Base of the modes: input checks, the history and the reset rules (first frame, size change, cut).
    ``default_strength`` is b when None is given."""

    mode = ""
    default_strength = 0.0

    def __init__(self, strength: float | None = None):
        b = self.default_strength if strength is None else float(strength)
        if not 0.0 <= b < 1.0:
            raise ValueError(f"temporal strength must be in [0, 1), got {b}")
        self.strength = b
        self.reset()

    def reset(self) -> None:
        """Forget the history (new clip, new style)."""
        self._prev: Shrunk | None = None
        self._out: np.ndarray | None = None

    def __call__(self, inp: np.ndarray, styl: np.ndarray) -> np.ndarray:
        """inp, styl: RGB uint8 (H, W, 3) -> out_t, RGB uint8 (H, W, 3)."""
        _check(inp, styl)
        cur = Shrunk(inp)
        prev = self._prev
        fresh = prev is None or prev.shape != cur.shape or is_cut(cur.thumb, prev.thumb)
        out = styl if fresh else self.blend(cur, styl)
        self._prev, self._out = cur, self.keep(out)
        return out

    def keep(self, out: np.ndarray) -> np.ndarray:
        """The copy of out_t that the history holds (a copy, so the caller may reuse or draw on its frames)."""
        return out.copy()

    def blend(self, cur: Shrunk, styl: np.ndarray) -> np.ndarray:
        """out_t from y_t and the history (self._prev, self._out), which is valid here."""
        raise NotImplementedError


class Off(Temporal):
    mode = "off"

    def __call__(self, inp: np.ndarray, styl: np.ndarray) -> np.ndarray:
        _check(inp, styl)
        return styl
