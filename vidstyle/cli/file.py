"""``vidstyle file IN OUT``: stylize a video file, keeping its timing, sound and metadata."""
from __future__ import annotations

import argparse
import sys

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
    p.add_argument("--hwaccel", choices=["auto", "on", "off"], default="auto",
                   help="decode on the GPU (NVDEC); auto: on CUDA runs, where the machine can (default auto)")
    p.add_argument("--encoder", choices=["auto", "x264", "nvenc"], default="auto",
                   help="H.264 encoder; auto: NVENC on CUDA runs where it opens, else x264 (default auto)")
    p.add_argument("--strip-metadata", action="store_true", help="do not copy the input's metadata (title, comment, "
                   "artist, creation time, language, ...; copied by default, so attributions are kept)")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or summary")
    p.set_defaults(func=run)


def run(a: argparse.Namespace) -> int:
    from ..media.decode import FileSource
    from ..media.files import check_output_path
    from ..media.hardware import pick_encoder
    from ..media.writer import VideoFileSink
    from ..pipelines.file import QUEUE_BATCHES, stylize_file
    from ..runtime.device import resolve_device

    check_output_path(a.output, a.overwrite, (a.input,))
    temporal = args.temporal_stage(a)
    device = resolve_device(a.device).type
    source = FileSource(a.input, hwaccel=a.hwaccel == "on" or (a.hwaccel == "auto" and device == "cuda"))
    try:
        stylizer = args.stylizer(a, smooth_stats=a.temporal != "off")
        if source.dropped and not a.quiet:
            print(f"vidstyle: dropping streams {source.describe_dropped()} (only video and the first audio "
                  "track are kept)", file=sys.stderr)
        info, batch = source.info, a.batch or stylizer.default_batch
        out_w, out_h = a.out_size or (info.width, info.height)
        in_flight = (QUEUE_BATCHES * 3 + 1) * batch * 3 * (info.width * info.height + out_w * out_h)
        args.check_memory(stylizer, info.height, info.width, batch, extra=in_flight)
        sink = VideoFileSink(a.output, info, a.out_size, crf=a.crf, preset=a.preset, audio_stream=source.audio_stream,
                             encoder=pick_encoder(a.encoder, device),
                             metadata=None if a.strip_metadata else source.metadata())
    except BaseException:
        source.close()
        raise
    stats = stylize_file(source, sink, stylizer, temporal=temporal, batch=batch, quiet=a.quiet)
    if not a.quiet:
        note = " (input damaged: see the warning above)" if source.damage.summary() else ""
        print(f"{a.output}: {stats.frames} frames in {stats.seconds:.1f} s, {stats.fps:.2f} fps, "
              f"model {stylizer.model_label}, style {stylizer.style_name}{note}", file=sys.stderr)
    return 0
