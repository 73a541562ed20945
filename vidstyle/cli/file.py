"""``vidstyle file IN OUT``: stylize a video file, keeping its timing, sound and metadata."""
from __future__ import annotations

import argparse
import sys

from ..jobs.options import VideoOptions
from . import args

EXAMPLES = """examples:
  vidstyle file in.mp4 out.mp4 --style starry          # a bundled painting: starry, wave, kandinsky
  vidstyle file in.mp4 out.mp4 --style my_art.jpg --strength 0.7 --size 480
  vidstyle file in.mp4 out.mp4 --style monet:0.5,wave:0.5   # a library style mixed with a bundled painting
  vidstyle file in.mp4 out.webm --model adain --temporal off --overwrite
  vidstyle file in.mp4 out.mp4 --preserve-color match   # style colours matched to the first frame
  vidstyle file in.mp4 out.mp4 --model saved_models/mosaic.pth --preserve-color luma
"""


def register(sub) -> None:
    p = sub.add_parser("file", help="stylize a video file", epilog=EXAMPLES, formatter_class=args.Formatter)
    p.add_argument("input", metavar="IN", help="input video")
    p.add_argument("output", metavar="OUT", help="output video (.mp4, .mkv, .mov: H.264; .webm: VP9)")
    add_job_options(p)
    p.set_defaults(func=run)


def add_job_options(p: argparse.ArgumentParser) -> None:
    """The flags of the video job (everything ``options`` maps), shared with `vidstyle batch`."""
    args.add_model_options(p)
    args.add_batch_option(p)
    args.add_tile_options(p)
    args.add_compile_option(p)
    p.add_argument("--crf", type=args.int_in(0, args.MAX_CRF), default=18,
                   help=f"encoder quality, 0-{args.MAX_CRF}, lower is better (default 18)")
    p.add_argument("--preset", default="veryfast", choices=args.X264_PRESETS, metavar="PRESET",
                   help=f"x264 preset: {', '.join(args.X264_PRESETS)} (default veryfast)")
    p.add_argument("--out-size", type=args.size_arg, help="output WxH (default: the input's size)")
    args.add_temporal_options(p, "temporal consistency (default flow: optical-flow guided blending, no flicker)")
    p.add_argument("--keyframes", type=args.keyframes_arg, default=1, metavar="auto|N",
                   help="paint every N-th frame, scene cuts and frames the flow cannot carry, and carry the "
                   "painting to the others by optical flow; auto: N from the motion (default 1: paint every frame)")
    p.add_argument("--hwaccel", choices=["auto", "on", "off"], default="auto",
                   help="decode on the GPU (NVDEC); auto: on CUDA runs, where the machine can (default auto)")
    p.add_argument("--encoder", choices=["auto", "x264", "nvenc"], default="auto",
                   help="H.264 encoder; auto: NVENC on CUDA runs where it opens, else x264 (default auto)")
    p.add_argument("--strip-metadata", action="store_true", help="do not copy the input's metadata (title, comment, "
                   "artist, creation time, language, ...; copied by default, so attributions are kept)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or summary")


def options(a: argparse.Namespace) -> VideoOptions:
    """The job options of parsed `file` arguments (also those of commands that take the same flags)."""
    return VideoOptions(style=a.style, strength=a.strength, model=a.model, device=a.device, precision=a.precision,
                        size=a.size, preserve_color=a.preserve_color, tile=a.tile, tile_overlap=a.tile_overlap,
                        compile=a.compile, batch=a.batch, out_size=a.out_size, crf=a.crf, preset=a.preset,
                        temporal=a.temporal, temporal_strength=a.temporal_strength, hwaccel=a.hwaccel,
                        encoder=a.encoder, strip_metadata=a.strip_metadata, overwrite=a.overwrite,
                        quiet=a.quiet, keyframes=a.keyframes)


def run(a: argparse.Namespace) -> int:
    from ..jobs.video import stylize_video

    result = stylize_video(a.input, a.output, options(a))
    if not a.quiet:
        note = " (input damaged: see the warning above)" if result.damaged else ""
        keys = "" if result.keyframes is None else f", {result.keyframes} keyframes"
        print(f"{a.output}: {result.frames} frames in {result.seconds:.1f} s, {result.fps:.2f} fps, "
              f"model {result.model}, style {result.style}{keys}{note}", file=sys.stderr)
    return 0
