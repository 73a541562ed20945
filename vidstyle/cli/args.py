"""Options and checks shared by several commands. Every check raises a one-line VidstyleError that names the
flag and its allowed range."""
from __future__ import annotations

import argparse

from ..errors import VidstyleError

PRECISIONS = ["auto", "fp32", "fp16", "bf16"]
TEMPORAL_MODES = ["off", "ema", "flow"]
TEMPORAL_STATS = 0.7  # EMA weight of the content statistics across frames while temporal smoothing is on
MIN_SIZE = 16  # smallest processing short side


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples in each command's epilog as written."""


def size_arg(text: str) -> tuple[int, int]:
    """'WxH' -> (W, H), both positive."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        if w > 0 and h > 0:
            return w, h
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 1280x720, got '{text}'")


def add_model_options(p: argparse.ArgumentParser, style_help: str = "style image (default: the bundled "
                      "Starry Night)", multi_style: bool = False) -> None:
    """--style, --strength, --model, --size, --device, --precision."""
    if multi_style:
        p.add_argument("--style", nargs="+", metavar="IMG", help=style_help)
    else:
        p.add_argument("--style", metavar="IMG", help=style_help)
    p.add_argument("--strength", type=float, default=1.0, help="style strength in [0, 1] (default 1)")
    p.add_argument("--model", default="auto", help="style network (see `vidstyle styles`; default: auto)")
    p.add_argument("--size", type=int, help="processing short side in pixels (default: the input's)")
    add_device_options(p)


def add_device_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--precision", default="auto", choices=PRECISIONS)


def add_temporal_options(p: argparse.ArgumentParser, help_text: str) -> None:
    p.add_argument("--temporal", default="flow", choices=TEMPORAL_MODES, help=help_text)
    p.add_argument("--temporal-strength", type=float, help="how much of the past is kept, in [0, 1)")


def check_model_options(a: argparse.Namespace) -> None:
    if not 0.0 <= a.strength <= 1.0:
        raise VidstyleError(f"--strength must be between 0 and 1, got {a.strength}")
    if a.size is not None and a.size < MIN_SIZE:
        raise VidstyleError(f"--size must be at least {MIN_SIZE} pixels, got {a.size}")


def check_temporal_options(a: argparse.Namespace) -> None:
    if a.temporal_strength is not None and not 0.0 <= a.temporal_strength < 1.0:
        raise VidstyleError(f"--temporal-strength must be in [0, 1), got {a.temporal_strength}")


def stylizer(a: argparse.Namespace, style=None, smooth_stats: bool = False):
    """The Stylizer the model options ask for (torch loads here); ``smooth_stats``: smooth the content
    statistics over time (video with a temporal mode)."""
    from ..api import Stylizer

    return Stylizer(style=a.style if style is None else style, model=a.model, device=a.device,
                    precision=a.precision, strength=a.strength, size=a.size,
                    temporal_stats=TEMPORAL_STATS if smooth_stats else 0.0)


def temporal_stage(a: argparse.Namespace, mode: str | None = None):
    """The temporal stage of ``--temporal`` (or ``mode``) and ``--temporal-strength``; None for off."""
    from ..temporal import make_temporal

    mode = mode or a.temporal
    return None if mode == "off" else make_temporal(mode, a.temporal_strength)
