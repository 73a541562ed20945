"""``vidstyle image IN OUT``: stylize a still image."""
from __future__ import annotations

import argparse
import sys
import time

from . import args

EXAMPLES = """examples:
  vidstyle image photo.jpg painted.png --style samples/painting_hokusai_great_wave_off_kanagawa.jpg
  vidstyle image photo.jpg painted.jpg --model adain --strength 0.8
"""


def register(sub) -> None:
    p = sub.add_parser("image", help="stylize an image", epilog=EXAMPLES, formatter_class=args.Formatter)
    p.add_argument("input", metavar="IN", help="input image (jpg, png, webp, ...)")
    p.add_argument("output", metavar="OUT", help="output image (.jpg, .png, .webp)")
    args.add_model_options(p)
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary")
    p.set_defaults(func=run)


def run(a: argparse.Namespace) -> int:
    from ..media.files import check_output_path
    from ..media.images import image_format, load_image, write_image

    check_output_path(a.output, a.overwrite, (a.input,))
    image_format(a.output)
    rgb = load_image(a.input, what="input")
    stylizer = args.stylizer(a)
    args.check_memory(stylizer, *rgb.shape[:2], batch=1)
    t0 = time.monotonic()
    write_image(a.output, stylizer(rgb))
    if not a.quiet:
        print(f"{a.output}: {rgb.shape[1]}x{rgb.shape[0]} in {time.monotonic() - t0:.2f} s, model "
              f"{stylizer.model_label}, style {stylizer.style_name}", file=sys.stderr)
    return 0
