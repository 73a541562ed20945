"""Per-frame steps shared by the file and live pipelines: the processing size, and a stylized frame through
the temporal stage back to the output size."""
from __future__ import annotations

import cv2
import numpy as np

from ..media.frame import Frame


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
        small = rgb if rgb.shape[:2] == proc_hw else cv2.resize(rgb, proc_hw[::-1], interpolation=cv2.INTER_AREA)
        y = temporal(small, y)
    return y if out_hw == proc_hw else cv2.resize(y, out_hw[::-1], interpolation=cv2.INTER_LINEAR)


def stylize_frames(stylizer, temporal, frames: list[Frame], proc_hw: tuple[int, int],
                   out_hw: tuple[int, int]) -> list[np.ndarray]:
    """Stylize a batch at ``proc_hw``, apply the temporal stage per frame, resize to ``out_hw`` (H, W)."""
    styl = stylizer(np.stack([f.rgb for f in frames]), out_hw=proc_hw)
    return [finish_frame(temporal, f.rgb, y, proc_hw, out_hw) for f, y in zip(frames, styl)]
