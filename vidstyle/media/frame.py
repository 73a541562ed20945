"""The unit that flows between stages: ``Frame``; what a video file says about its video: ``VideoInfo``; and its
descriptive tags: ``Metadata``."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .colour import Colour


@dataclass
class Frame:
    """rgb: uint8 (H, W, 3); pts in ``time_base`` units (None when unknown); t_capture: monotonic seconds."""

    rgb: np.ndarray
    pts: int | None = None
    time_base: Fraction | None = None
    duration: int = 0
    index: int = 0
    t_capture: float = field(default_factory=time.monotonic)


@dataclass
class VideoInfo:
    width: int
    height: int
    rate: Fraction
    time_base: Fraction
    frames: int  # an estimate; 0 when unknown
    rotation: int  # display rotation in degrees, counter-clockwise
    audio: object | None  # the input's first audio stream (av stream), if any
    colour: Colour | None = None  # None: the default for the size (media.colour.default_colour)


@dataclass
class Metadata:
    """Descriptive tags of an input to copy to its output: {key: value} of the container and of the video and
    audio streams."""

    container: dict[str, str]
    video: dict[str, str]
    audio: dict[str, str]
