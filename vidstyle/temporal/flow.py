"""``flow``: DIS optical flow between consecutive input frames on a small grey image (the frame shrunk by the
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

import functools

import cv2
import numpy as np

from .base import Shrunk, Temporal, grow, shrink

MIN_FLOW_SIDE = 12  # DIS needs a side of at least 12 pixels
MAX_GAIN = 3.0  # the most by which the detail of a blended pixel is amplified
MIN_AGREE = 0.1  # a frame whose mean flow weight is below MIN_AGREE * b counts as a scene cut
ZERO_BOX = 7  # window (pixels of the small grid) of the zero-motion test
ZERO_TOL = 1  # grey levels (0-255) by which zero motion may explain a window worse than the flow and still win
SIGMA = 20.0  # colour-difference scale (0-255) of the agreement test


def warp_rgba(rgba: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Bilinear backward warp: RGBA uint8 (h0, w0, 4), map (h, w, 2) of source x, y -> RGB uint8 (h, w, 3)."""
    return cv2.cvtColor(cv2.remap(rgba, m, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE),
                        cv2.COLOR_RGBA2RGB)


class Flow(Temporal):
    """Flow-guided blending that keeps the detail's energy (see the module docstring).

    sigma: colour-difference scale (0-255) of the agreement test.
    """

    mode = "flow"
    default_strength = 0.85

    def __init__(self, strength: float | None = None, sigma: float = SIGMA):
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        super().__init__(strength)
        d = np.arange(256, dtype=np.float32)
        self._weight_lut = (self.strength * np.exp(-((d / sigma) ** 2))).astype(np.float32)
        self._weight_lut[255] = 0.0  # off-frame marker

    @staticmethod
    def grid(h: int, w: int) -> np.ndarray:
        """Pixel coordinates (h, w, 2) float32, x then y (cached)."""
        return pixel_grid(h, w)

    def keep(self, out: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(out, cv2.COLOR_RGB2RGBA)  # RGBA: OpenCV warps four channels much faster than three

    def agreement(self, cur: Shrunk, prev: Shrunk) -> tuple[np.ndarray, np.ndarray]:
        """On the small grid (h, w): the backward map (h, w, 2), the position in frame t-1 of each pixel of
        frame t, from DIS flow; and the weight w (h, w) float32 in [0, b] of the warped history.

        DIS reports spurious motion of up to a pixel in flat or noisy static areas, and every such shift
        resamples and smears the history, so the flow is set to zero wherever no motion explains the
        neighbourhood (``ZERO_BOX`` px) about as well as the flow does (within ``ZERO_TOL`` grey levels)."""
        h, w = cur.grey.shape
        grid = pixel_grid(h, w)
        m = settle(grid + self._dis.calc(cur.grey, prev.grey, None), grid, cur.grey, prev.grey)
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
            m = grow(cv2.addWeighted(m, k, pixel_grid(*m.shape[:2]), -k, 0.0), hw)
            cv2.add(m, pixel_grid(*hw), dst=m)  # in place: several times faster than a new array here
        a = grow(wgt, hw)
        mixed = cv2.blendLinear(warp_rgba(self._out, m), styl, a, 1.0 - a)
        return restore_detail(mixed, detail_energy(styl, k), k)


def restore_detail(mixed: np.ndarray, energy: np.ndarray, k: int) -> np.ndarray:
    """A blend B, RGB uint8 (H, W, 3), whose fine detail is amplified back towards the local ``energy`` (as
    ``detail_energy`` gives it for flow grid factor k): g B - (g - 1) low(B), g = sqrt((energy + 1) / (E(B) + 1))
    clipped to [1, ``MAX_GAIN``]."""
    hw = mixed.shape[:2]
    gain = np.sqrt((energy + 1.0) / (detail_energy(mixed, k) + 1.0))
    g = grow(np.clip(gain, 1.0, MAX_GAIN), hw)
    return cv2.blendLinear(mixed, grow(shrink(mixed, 2 * k), hw), g, 1.0 - g)


@functools.lru_cache(maxsize=8)
def pixel_grid(h: int, w: int) -> np.ndarray:
    """Pixel coordinates (h, w, 2) float32, x then y (cached: do not write to it)."""
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return np.dstack([xs, ys])


def settle(m: np.ndarray, grid: np.ndarray, cur: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """The backward map ``m`` (h, w, 2) from grey frame ``cur`` (h, w) uint8 into ``prev``, set (in place) to
    ``grid`` wherever zero motion explains the neighbourhood (``ZERO_BOX`` px) about as well as the flow does
    (within ``ZERO_TOL`` grey levels); returns it."""
    still = cv2.blur(cv2.absdiff(prev, cur), (ZERO_BOX, ZERO_BOX))
    moved = cv2.blur(cv2.absdiff(cv2.remap(prev, m, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), cur),
                     (ZERO_BOX, ZERO_BOX))
    cv2.copyTo(grid, cv2.compare(still, cv2.add(moved, ZERO_TOL), cv2.CMP_LE), m)
    return m


def detail_energy(img: np.ndarray, k: int) -> np.ndarray:
    """Local energy of the fine detail of an RGB uint8 (H, W, 3) frame whose flow grid is shrunk by k: the
    mean square (grey levels^2) of grey - low(grey), low = a 2k px box (``shrink``, then ``grow``), in a
    Gaussian window of std 8k px, on a grid shrunk by 4k -> (H // 4k, W // 4k) float32."""
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    d = cv2.subtract(grey, grow(shrink(grey, 2 * k), grey.shape), dtype=cv2.CV_32F)
    return cv2.GaussianBlur(shrink(cv2.multiply(d, d), 4 * k), (0, 0), 2.0)
