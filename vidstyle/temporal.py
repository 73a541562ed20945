"""Temporal consistency for stylized video: ``make_temporal(mode)(inp, styl) -> out``, one frame at a time.

All modes are causal (they use frames <= t only) and work on RGB uint8 (H, W, 3) frames; ``inp`` is the
input frame and ``styl`` the stylized frame y_t, both of the same size. History is dropped on ``reset()``,
on a change of frame size and on a scene cut (``is_cut``), so the first frame of a new shot is y_t exactly.

- ``off``: out_t = y_t.
- ``ema``: out_t = (1 - b) y_t + b out_{t-1}. Cheap; ghosts on motion.
- ``flow``: DIS optical flow between consecutive input frames on a small grey image (the frame shrunk by the
  whole factor k that brings its short side nearest ``FLOW_SHORT``), set to zero where zero motion explains
  the neighbourhood as well (DIS invents sub-pixel motion in static areas, which would resample the
  history), used to backward-warp out_{t-1} onto frame t. Each pixel gets a weight
  w = b exp(-(d / sigma)^2), d = max over R, G, B of |warped previous input - input| on the small image
  (w = 0 where the flow points off the frame), so occluded and newly visible pixels take y_t:
  B = (1 - w) y_t + w warp(out_{t-1}).
  Averaging two brush textures that do not line up lowers the contrast of the fine detail, which fades the
  style, so the blend's detail (what a 2k px box low-pass ``low`` leaves) is amplified back to the
  local energy of y_t's: out_t = B + (g - 1) (B - low(B)), with g = sqrt((E(y_t) + 1) / (E(B) + 1))
  clipped to [1, ``MAX_GAIN``], E = the mean square (grey levels^2) of the grey detail in a Gaussian window
  of std 8k px.
  A frame where almost nothing agrees (mean w < ``MIN_AGREE`` * b) is treated as a scene cut.
"""
from __future__ import annotations

import cv2
import numpy as np

MODES = ("off", "ema", "flow")
DEFAULT_STRENGTH = {"off": 0.0, "ema": 0.5, "flow": 0.85}
FLOW_SHORT = 180  # about the short side in pixels of the images the flow and the agreement are computed on
THUMB_SHORT = 18  # short side of the scene-cut thumbnail
CUT_MAD = 30.0  # mean absolute grey difference (0-255) between thumbnails that marks a scene cut
MIN_FLOW_SIDE = 12  # DIS needs a side of at least 12 pixels
MAX_GAIN = 3.0  # the most by which the detail of a blended pixel is amplified
MIN_AGREE = 0.1  # a frame whose mean flow weight is below MIN_AGREE * b counts as a scene cut
ZERO_BOX = 7  # window (pixels of the small grid) of the zero-motion test
ZERO_TOL = 1  # grey levels (0-255) by which zero motion may explain a window worse than the flow and still win


def _check(inp: np.ndarray, styl: np.ndarray) -> None:
    for name, a in (("inp", inp), ("styl", styl)):
        if not isinstance(a, np.ndarray) or a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3:
            raise ValueError(f"{name} must be an RGB uint8 (H, W, 3) array, got {getattr(a, 'dtype', type(a))} "
                             f"{getattr(a, 'shape', '')}")
    if inp.shape != styl.shape:
        raise ValueError(f"inp and styl must have the same size, got {inp.shape} and {styl.shape}")


def _resize_short(img: np.ndarray, short: int) -> np.ndarray:
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
        self.thumb = _resize_short(self.grey, THUMB_SHORT).astype(np.float32)


def is_cut(thumb: np.ndarray, prev_thumb: np.ndarray) -> bool:
    """True when two thumbnails differ by more than CUT_MAD grey levels on average (a new shot)."""
    return float(cv2.absdiff(thumb, prev_thumb).mean()) > CUT_MAD


class Temporal:
    """Base of the modes: input checks, the history and the reset rules (first frame, size change, cut)."""

    mode = ""

    def __init__(self, strength: float | None = None):
        b = DEFAULT_STRENGTH[self.mode] if strength is None else float(strength)
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


class EMA(Temporal):
    mode = "ema"

    def blend(self, cur: Shrunk, styl: np.ndarray) -> np.ndarray:
        return cv2.addWeighted(styl, 1.0 - self.strength, self._out, self.strength, 0.0)


def warp(rgba: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Bilinear backward warp: RGBA uint8 (h0, w0, 4), map (h, w, 2) of source x, y -> RGB uint8 (h, w, 3)."""
    return cv2.cvtColor(cv2.remap(rgba, m, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE),
                        cv2.COLOR_RGBA2RGB)


class Flow(Temporal):
    """Flow-guided blending that keeps the detail's energy (see the module docstring).

    sigma: colour-difference scale (0-255) of the agreement test.
    """

    mode = "flow"

    def __init__(self, strength: float | None = None, sigma: float = 20.0):
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self._grids: dict[tuple[int, int], np.ndarray] = {}
        super().__init__(strength)
        d = np.arange(256, dtype=np.float32)
        self._weight_lut = (self.strength * np.exp(-((d / sigma) ** 2))).astype(np.float32)
        self._weight_lut[255] = 0.0  # off-frame marker

    def keep(self, out: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(out, cv2.COLOR_RGB2RGBA)  # RGBA: OpenCV warps four channels much faster than three

    def grid(self, h: int, w: int) -> np.ndarray:
        """Pixel coordinates (h, w, 2) float32, x then y (cached)."""
        if (h, w) not in self._grids:
            xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
            self._grids[(h, w)] = np.dstack([xs, ys])
        return self._grids[(h, w)]

    def agreement(self, cur: Shrunk, prev: Shrunk) -> tuple[np.ndarray, np.ndarray]:
        """On the small grid (h, w): the backward map (h, w, 2), the position in frame t-1 of each pixel of
        frame t, from DIS flow; and the weight w (h, w) float32 in [0, b] of the warped history.

        DIS reports spurious motion of up to a pixel in flat or noisy static areas, and every such shift
        resamples and smears the history, so the flow is set to zero wherever no motion explains the
        neighbourhood (``ZERO_BOX`` px) about as well as the flow does (within ``ZERO_TOL`` grey levels)."""
        h, w = cur.grey.shape
        grid = self.grid(h, w)
        m = grid + self._dis.calc(cur.grey, prev.grey, None)
        still = cv2.blur(cv2.absdiff(prev.grey, cur.grey), (ZERO_BOX, ZERO_BOX))
        moved = cv2.blur(cv2.absdiff(cv2.remap(prev.grey, m, None, cv2.INTER_LINEAR,
                                               borderMode=cv2.BORDER_REPLICATE), cur.grey), (ZERO_BOX, ZERO_BOX))
        zero = cv2.compare(still, cv2.add(moved, ZERO_TOL), cv2.CMP_LE)
        cv2.copyTo(grid, zero, m)
        warped = cv2.remap(prev.rgba, m, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        r, g, b, _ = cv2.split(cv2.absdiff(warped, cur.rgba))
        d = cv2.min(cv2.max(cv2.max(r, g), b), 254)
        off = cv2.remap(np.zeros((h, w), np.uint8), m, None, cv2.INTER_NEAREST,
                        borderMode=cv2.BORDER_CONSTANT, borderValue=255)
        return m, cv2.LUT(cv2.max(d, off), self._weight_lut)

    def blend(self, cur: Shrunk, styl: np.ndarray) -> np.ndarray:
        if min(cur.grey.shape) < MIN_FLOW_SIDE:
            return styl
        m, wgt = self.agreement(cur, self._prev)
        if float(wgt.mean()) < MIN_AGREE * self.strength:
            return styl
        k, hw = cur.k, styl.shape[:2]
        if k > 1:  # the small grid's motion, in frame pixels, at every pixel of the frame
            m = grow(cv2.addWeighted(m, k, self.grid(*m.shape[:2]), -k, 0.0), hw)
            cv2.add(m, self.grid(*hw), dst=m)  # in place: several times faster than a new array here
        a = grow(wgt, hw)
        mixed = cv2.blendLinear(warp(self._out, m), styl, a, 1.0 - a)
        gain = np.sqrt((detail_energy(styl, k) + 1.0) / (detail_energy(mixed, k) + 1.0))
        g = grow(np.clip(gain, 1.0, MAX_GAIN), hw)
        return cv2.blendLinear(mixed, grow(shrink(mixed, 2 * k), hw), g, 1.0 - g)  # g B - (g - 1) low(B)


def detail_energy(img: np.ndarray, k: int) -> np.ndarray:
    """Local energy of the fine detail of an RGB uint8 (H, W, 3) frame whose flow grid is shrunk by k: the
    mean square (grey levels^2) of grey - low(grey), low = a 2k px box (``shrink``, then ``grow``), in a
    Gaussian window of std 8k px, on a grid shrunk by 4k -> (H // 4k, W // 4k) float32."""
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    d = cv2.subtract(grey, grow(shrink(grey, 2 * k), grey.shape), dtype=cv2.CV_32F)
    return cv2.GaussianBlur(shrink(cv2.multiply(d, d), 4 * k), (0, 0), 2.0)


def make_temporal(mode: str = "flow", strength: float | None = None, **options) -> Temporal:
    """A temporal-consistency stage: 'off', 'ema' or 'flow'; ``strength`` is b (None = the mode's default)."""
    kinds = {"off": Off, "ema": EMA, "flow": Flow}
    if mode not in kinds:
        raise ValueError(f"unknown temporal mode '{mode}' (use {', '.join(MODES)})")
    return kinds[mode](strength, **options)


class StatsEMA:
    """Model-side smoothing: an EMA over time of the per-channel content feature statistics that AdaIN
    normalizes with, so a frame's global colour and contrast cannot jump. Call with the (N, C, 1, 1) mean
    and std of N consecutive frames; returns the smoothed ones. It resets itself on a scene cut (the mean
    moves by more than ``cut`` of its norm) and on ``reset()``."""

    def __init__(self, beta: float = 0.7, cut: float = 0.3):
        self.beta, self.cut = beta, cut
        self.state: tuple | None = None

    def reset(self) -> None:
        self.state = None

    def __call__(self, mean, std):
        import torch

        out_m, out_s = [], []
        for m, s in zip(mean.split(1), std.split(1)):
            if self.state is not None and self.state[0].shape == m.shape:
                pm, ps = self.state
                if float((m - pm).norm() / (pm.norm() + 1e-6)) <= self.cut:
                    m, s = self.beta * pm + (1 - self.beta) * m, self.beta * ps + (1 - self.beta) * s
            self.state = (m, s)
            out_m.append(m)
            out_s.append(s)
        return torch.cat(out_m), torch.cat(out_s)
