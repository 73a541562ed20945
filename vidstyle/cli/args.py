"""Options and checks shared by several commands. Every check raises a one-line VidstyleError that names the
flag and its allowed range."""
from __future__ import annotations

import argparse
import logging
import sys

from ..errors import VidstyleError
from ..jobs.options import TEMPORAL_STATS

PRECISIONS = ["auto", "fp32", "fp16", "bf16"]
COLOUR_MODES = ["luma", "match"]  # --preserve-color (vidstyle.models.colour.MODES)
TEMPORAL_MODES = ["off", "ema", "flow"]
X264_PRESETS = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]
MIN_SIZE, MAX_SIZE = 16, 8192  # processing short side, and any frame side, in pixels
MAX_BATCH = 64
MAX_CRF = 51
MIN_TILE = 64  # smallest --tile side in pixels
AUTO_MODEL = "fast on a CPU, adain on a GPU"  # what --model auto picks (vidstyle.api.default_model_name)
MAX_KEY_INTERVAL = 100  # the largest --keyframes interval (the frames between two keyframes are held in memory)


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
                      "Starry Night)", multi_style: bool = False, auto_model: str = AUTO_MODEL) -> None:
    """--style, --strength, --model, --preserve-color, --size, --device, --precision; ``auto_model`` says what
    --model auto picks for this command."""
    style_help += ("; an image file, a library name (`vidstyle styles`), a bundled painting (starry, wave, kandinsky), "
                   "random, group:K, or a mix, e.g. starry:0.7,my.jpg:0.3")
    if multi_style:  # resolved by the command (style_values): group:K there gives the whole group
        p.add_argument("--style", nargs="+", metavar="STYLE", help=style_help)
    else:
        p.add_argument("--style", type=style_arg, metavar="STYLE", help=style_help)
    p.add_argument("--strength", type=float_in(0, 1), default=1.0, help="style strength in [0, 1] (default 1)")
    p.add_argument("--model", default="auto", help=f"style network: a name (see `vidstyle styles`; default auto: "
                   f"{auto_model}), a .safetensors file written by `vidstyle train`, or a pytorch/examples "
                   "fast_neural_style state dict FILE.pth (one style each: --style is ignored); the TorchScript and "
                   "ONNX files of `vidstyle export` run outside vidstyle")
    p.add_argument("--preserve-color", choices=COLOUR_MODES, help="keep the content's colours: luma = the "
                   "stylized luminance with the content's chroma; match = the style's colours matched to the "
                   "content (video: its first frame) before stylizing (default: the style's colours)")
    p.add_argument("--size", type=int_in(MIN_SIZE, MAX_SIZE),
                   help=f"processing short side in pixels, {MIN_SIZE}-{MAX_SIZE} (default: the input's)")
    add_device_options(p)


def style_arg(text: str):
    """--style: an image path, or a mix [(path, weight)] (see vidstyle.library.spec), random picks said on stderr."""
    from ..library.spec import Resolver, parse_style

    try:
        return parse_style(text, Resolver(say=_say))
    except VidstyleError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def style_values(values: list[str] | None) -> list:
    """Several --style values (webcam): image paths and mixes, a whole group:K value giving its whole group; a
    bad value is a one-line error naming --style."""
    from ..library.spec import Resolver, parse_styles

    try:
        return parse_styles(values or [], Resolver(say=_say))
    except VidstyleError as e:
        raise VidstyleError(f"--style: {e}") from None


def _say(line: str) -> None:
    print(f"vidstyle: {line}", file=sys.stderr)


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


def add_tile_options(p: argparse.ArgumentParser) -> None:
    """--tile, --tile-overlap (models that tile: adain)."""
    p.add_argument("--tile", type=tile_arg, default="auto", metavar="auto|off|PX",
                   help=f"stylize large frames in overlapping tiles of PX pixels ({MIN_TILE}-{MAX_SIZE}) with "
                   "whole-frame style statistics, so they fit in memory (adain; fast never needs it); auto: tiles "
                   "of 512 only for frames that would not fit whole (default auto), e.g. --tile 512")
    p.add_argument("--tile-overlap", type=int_in(0, MAX_SIZE // 2), metavar="PX",
                   help="overlap of neighbouring tiles in pixels, at most half the tile; seams are feathered over "
                   "its middle half (default: the model's, 64 for adain), e.g. --tile-overlap 64")


def tile_arg(text: str) -> int | str:
    """--tile: 'auto', 'off' or a side from MIN_TILE to MAX_SIZE pixels."""
    if text in ("auto", "off"):
        return text
    try:
        return int_in(MIN_TILE, MAX_SIZE)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"must be auto, off or a whole number from {MIN_TILE} to {MAX_SIZE}, "
                                         f"got '{text}'") from None


def add_live_keyframes_option(p: argparse.ArgumentParser) -> None:
    """--keyframes auto|on|off for the live commands."""
    p.add_argument("--keyframes", default="auto", choices=("auto", "on", "off"),
                   help="on: the model paints a keyframe whenever it is free, at a size it adapts to hold the "
                   "camera's frame rate, and optical flow carries the latest painting to every frame; off: the "
                   "model paints every frame; auto (default): on when one frame takes the model longer than 0.1 s")


def live_keyframes(a: argparse.Namespace) -> bool | None:
    """--keyframes as LiveSession takes it: True, False or None (auto)."""
    return {"on": True, "off": False}.get(a.keyframes)


def keyframes_arg(text: str) -> int | str:
    """--keyframes: 'auto' or an interval from 1 to MAX_KEY_INTERVAL frames."""
    if text == "auto":
        return text
    try:
        return int_in(1, MAX_KEY_INTERVAL)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"must be auto or a whole number from 1 to {MAX_KEY_INTERVAL}, "
                                         f"got '{text}'") from None


def check_memory(stylizer, h: int, w: int, batch: int, extra: int = 0) -> None:
    """Refuse, naming --size, frames whose processing would need more memory than the device has free (frames
    the stylizer tiles, with --tile or automatically, count as tiled)."""
    stylizer.runner.check_memory(stylizer.state, h, w, batch, extra)


def stylizer(a: argparse.Namespace, style=None, smooth_stats: bool = False):
    """The Stylizer the model options ask for (torch loads here); ``smooth_stats``: smooth the content
    statistics over time (video with a temporal mode)."""
    from ..api import Stylizer

    st = Stylizer(style=a.style if style is None else style, model=a.model, device=a.device,
                  precision=a.precision, strength=a.strength, size=a.size,
                  temporal_stats=TEMPORAL_STATS if smooth_stats else 0.0, compile=getattr(a, "compile", False),
                  preserve_color=getattr(a, "preserve_color", None),
                  tile=getattr(a, "tile", "auto"), tile_overlap=getattr(a, "tile_overlap", None))
    if st.per_style and a.style:
        logging.getLogger("vidstyle").warning("--model %s is a per-style network (its style is in its weights): "
                                              "--style is ignored", a.model)
    return st


def temporal_stage(a: argparse.Namespace, mode: str | None = None):
    """The temporal stage of ``--temporal`` (or ``mode``) and ``--temporal-strength``; None for off."""
    from ..temporal import make_temporal

    mode = mode or a.temporal
    return None if mode == "off" else make_temporal(mode, a.temporal_strength)
