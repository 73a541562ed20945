"""Per-frame steps shared by the file and live pipelines: the processing size, and a stylized frame through
the temporal stage back to the output size."""
from __future__ import annotations

import cv2
import numpy as np

from ..media.frame import Frame

TEMPORAL_MAX_SHORT = 720  # larger frames run the temporal stage at this short side (temporal_reduced)


def processing_size(h: int, w: int, short: int | None) -> tuple[int, int]:
    """(H, W) scaled so the short side is ``short`` (unchanged when None)."""
    if not short or min(h, w) == short:
        return h, w
    s = short / min(h, w)
    return max(1, round(h * s)), max(1, round(w * s))


def finish_frame(temporal, rgb: np.ndarray, y: np.ndarray, proc_hw: tuple[int, int],
                 out_hw: tuple[int, int]) -> np.ndarray:
    """One stylized frame y (proc_hw + (3,), uint8) of input ``rgb`` (H, W, 3): the temporal stage (on the
    input resized to proc_hw), then resized to ``out_hw`` (H, W)."""
    if temporal is not None:
        small = resize(rgb, proc_hw)
        y = temporal(small, y) if min(proc_hw) <= TEMPORAL_MAX_SHORT else temporal_reduced(temporal, small, y)
    return y if out_hw == proc_hw else cv2.resize(y, out_hw[::-1], interpolation=cv2.INTER_LINEAR)


def resize(img: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """(H, W, C) uint8 to hw = (H', W'): area when shrinking, bilinear when growing, as is when equal."""
    if img.shape[:2] == hw:
        return img
    shrinking = hw[0] < img.shape[0]
    return cv2.resize(img, hw[::-1], interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def temporal_reduced(temporal, inp: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The temporal stage for frames larger than TEMPORAL_MAX_SHORT: run at that size, and add what it changed
    (upscaled) to the full-size stylized frame, whose own fine detail stays. A 4K frame costs the stage about
    what a 720p one does (on a GPU run, the CPU-side stage would otherwise set the pace)."""
    s = TEMPORAL_MAX_SHORT / min(y.shape[:2])
    hw = (max(1, round(y.shape[0] * s)), max(1, round(y.shape[1] * s)))
    y_small = resize(y, hw)
    change = cv2.subtract(temporal(resize(inp, hw), y_small), y_small, dtype=cv2.CV_16S)
    return cv2.add(y, resize(change, y.shape[:2]), dtype=cv2.CV_8U)


def stylize_frames(runner, state, frames: list[Frame], proc_hw: tuple[int, int],
                   out_hw: tuple[int, int]) -> list[np.ndarray]:
    """Stylize a batch with ``runner`` for the stream ``state`` at ``proc_hw``, apply the state's temporal stage
    per frame, resize to ``out_hw`` (H, W)."""
    styl = runner.stylize(state, np.stack([f.rgb for f in frames]), out_hw=proc_hw)
    return [finish_frame(state.active_temporal, f.rgb, y, proc_hw, out_hw) for f, y in zip(frames, styl)]
