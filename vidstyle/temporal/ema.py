"""``ema``: a running average of the stylized frames. Cheap; ghosts on motion."""
from __future__ import annotations

import cv2
import numpy as np

from .base import Shrunk, Temporal


class EMA(Temporal):
    """out_t = (1 - b) y_t + b out_{t-1}."""

    mode = "ema"
    default_strength = 0.5

    def blend(self, cur: Shrunk, styl: np.ndarray) -> np.ndarray:
        return cv2.addWeighted(styl, 1.0 - self.strength, self._out, self.strength, 0.0)
