"""Options and checks shared by several commands. Every check raises a one-line VidstyleError that names the
flag and its allowed range."""
from __future__ import annotations

import argparse

from ..errors import VidstyleError

PRECISIONS = ["auto", "fp32", "fp16", "bf16"]
TEMPORAL_MODES = ["off", "ema", "flow"]
X264_PRESETS = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]
TEMPORAL_STATS = 0.7  # EMA weight of the content statistics across frames while temporal smoothing is on
MIN_SIZE, MAX_SIZE = 16, 8192  # processing short side, and any frame side, in pixels
MAX_BATCH = 64
MAX_CRF = 51


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples in each command's epilog as written."""


class Parser(argparse.ArgumentParser):
    """argparse with errors on one line: ``vidstyle: error: <what> (see vidstyle CMD --help)``, exit 2."""

    def error(self, message: str):
        self.exit(2, f"vidstyle: error: {message} (see {self.prog} --help)\n")


def int_in(lo: int, hi: int):
    """An argparse type: an integer from ``lo`` to ``hi``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be a whole number from {lo} to {hi}, got '{text}'")
        return value
    return parse


def float_in(lo: float, hi: float, hi_open: bool = False):
    """An argparse type: a number in [lo, hi] (or [lo, hi) with ``hi_open``)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (lo <= value < hi if hi_open else lo <= value <= hi):
            raise argparse.ArgumentTypeError(f"must be a number in [{lo:g}, {hi:g}{')' if hi_open else ']'}, "
                                             f"got '{text}'")
        return value
    return parse


def size_arg(text: str) -> tuple[int, int]:
    """'WxH' -> (W, H), each from 2 to MAX_SIZE."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        if 2 <= w <= MAX_SIZE and 2 <= h <= MAX_SIZE:
            return w, h
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT with sides from 2 to {MAX_SIZE}, e.g. 1280x720, "
                                     f"got '{text}'")


def add_model_options(p: argparse.ArgumentParser, style_help: str = "style image (default: the bundled "
                      "Starry Night)", multi_style: bool = False) -> None:
    """--style, --strength, --model, --size, --device, --precision."""
    if multi_style:
        p.add_argument("--style", nargs="+", metavar="IMG", help=style_help)
    else:
        p.add_argument("--style", metavar="IMG", help=style_help)
    p.add_argument("--strength", type=float_in(0, 1), default=1.0, help="style strength in [0, 1] (default 1)")
    p.add_argument("--model", default="auto", help="style network (see `vidstyle styles`; default: auto)")
    p.add_argument("--size", type=int_in(MIN_SIZE, MAX_SIZE),
                   help=f"processing short side in pixels, {MIN_SIZE}-{MAX_SIZE} (default: the input's)")
    add_device_options(p)


def add_device_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--precision", default="auto", choices=PRECISIONS)


def add_compile_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--compile", action="store_true", help="compile the network with torch.compile (CUDA graphs on "
                   "CUDA): faster after a slow start of up to a minute per frame size")


def add_temporal_options(p: argparse.ArgumentParser, help_text: str) -> None:
    p.add_argument("--temporal", default="flow", choices=TEMPORAL_MODES, help=help_text)
    p.add_argument("--temporal-strength", type=float_in(0, 1, hi_open=True),
                   help="how much of the past is kept, in [0, 1)")


def add_batch_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batch", type=int_in(1, MAX_BATCH),
                   help=f"frames per model call, 1-{MAX_BATCH} (default: 4 on a CPU, 8 on CUDA)")


def check_memory(stylizer, h: int, w: int, batch: int, extra: int = 0) -> None:
    """Refuse, naming --size, frames whose processing would need more memory than the device has free."""
    need, free, short = stylizer.memory_fit(h, w, batch, extra)
    if need > free:
        gib = 2**30
        hint = f"use --size {short} or less (processing short side)" if short >= MIN_SIZE else "use a smaller --size"
        raise VidstyleError(f"{w}x{h} frames need about {need / gib:.1f} GiB with model {stylizer.model_name} "
                            f"(batch {batch}), more than the {max(free, 0) / gib:.1f} GiB free: {hint}"
                            + (" or --batch 1" if batch > 1 else ""))


def stylizer(a: argparse.Namespace, style=None, smooth_stats: bool = False):
    """The Stylizer the model options ask for (torch loads here); ``smooth_stats``: smooth the content
    statistics over time (video with a temporal mode)."""
    from ..api import Stylizer

    return Stylizer(style=a.style if style is None else style, model=a.model, device=a.device,
                    precision=a.precision, strength=a.strength, size=a.size,
                    temporal_stats=TEMPORAL_STATS if smooth_stats else 0.0, compile=getattr(a, "compile", False))


def temporal_stage(a: argparse.Namespace, mode: str | None = None):
    """The temporal stage of ``--temporal`` (or ``mode``) and ``--temporal-strength``; None for off."""
    from ..temporal import make_temporal

    mode = mode or a.temporal
    return None if mode == "off" else make_temporal(mode, a.temporal_strength)
