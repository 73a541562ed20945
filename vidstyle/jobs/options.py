"""The options and result of a video job: plain data, cheap to import (the CLI parses into them before torch
loads) and to send to another process."""
from __future__ import annotations

from dataclasses import dataclass

TEMPORAL_STATS = 0.7  # EMA weight of the content statistics across frames while a temporal mode is on


@dataclass(frozen=True)
class VideoOptions:
    """What `vidstyle file` takes besides IN and OUT (its flags of the same names; see ``vidstyle file --help``).

    style: image path or style name, RGB uint8 array or a list of (style, weight) pairs (None: the default);
    strength in [0, 1]; size: processing short side (None: the input's); out_size: output (W, H) (None: the
    input's); batch: frames per model call (None: the runner's default); temporal: 'off', 'ema' or 'flow';
    temporal_strength in [0, 1) (None: the mode's default); hwaccel: 'auto', 'on', 'off'; encoder: 'auto',
    'x264', 'nvenc'; strip_metadata: do not copy the input's container and stream tags; keyframes: 1 (paint
    every frame), N (at least every N-th, optical flow carries the paintings to the frames between) or 'auto'
    (N from the motion). The model options (model, device, precision, tile, tile_overlap, compile) are used
    only when ``stylize_video`` makes its own runner.
    """

    style: object = None
    strength: float = 1.0
    model: str = "auto"
    device: str = "auto"
    precision: str = "auto"
    size: int | None = None
    preserve_color: str | None = None
    tile: int | str = "auto"
    tile_overlap: int | None = None
    compile: bool = False
    batch: int | None = None
    out_size: tuple[int, int] | None = None
    crf: int = 18
    preset: str = "veryfast"
    temporal: str = "flow"
    temporal_strength: float | None = None
    hwaccel: str = "auto"
    encoder: str = "auto"
    strip_metadata: bool = False
    overwrite: bool = False
    quiet: bool = False
    temporal_stats: float = TEMPORAL_STATS
    keyframes: int | str = 1

    def runner(self):
        """The ``ModelRunner`` these options ask for (torch loads here)."""
        from ..stylizer import ModelRunner

        return ModelRunner(self.model, self.device, self.precision, compile=self.compile, tile=self.tile,
                           tile_overlap=self.tile_overlap)


@dataclass
class VideoResult:
    """What a finished job did: frames written, wall seconds, their rate, the model and style that painted
    them, and whether the input was damaged (its warning was said)."""

    frames: int
    seconds: float
    fps: float
    model: str
    style: str
    damaged: bool
    keyframes: int | None = None  # frames painted, where not every frame was
