"""``vidstyle image IN OUT``: stylize a still image."""
from __future__ import annotations

import argparse
import sys
import time

from . import args, optimize

STILLS_MODEL = "adain"  # what --model auto paints stills with: sharper and more painted than fast, at seconds a photo

DESCRIPTION = f"""Stylize a still image. Unless --model says otherwise, stills are painted with {STILLS_MODEL} on every
device: sharper and more painted than fast, at a few seconds a photo on a CPU. Images too large to
stylize whole in the free memory go in tiles (--tile)."""
EXAMPLES = """examples:
  vidstyle image photo.jpg painted.png --style wave            # a bundled painting: starry, wave, kandinsky
  vidstyle image photo.jpg painted.jpg --style my_art.jpg --strength 0.8
  vidstyle image photo.jpg quick.jpg --model fast              # the video model: faster, softer
  vidstyle image photo.jpg mixed.jpg --style starry:0.7,my_art.jpg:0.3   # a style mix (or library names)
  vidstyle image photo.jpg any.jpg --style random              # a style of your library (vidstyle styles)
  vidstyle image photo_4k.jpg painted.png --tile 512           # in 512 px tiles (4K in under 4 GiB)
  vidstyle image photo.jpg painted.jpg --preserve-color luma   # the photo's colours (or: match)
  vidstyle image photo.jpg candy.jpg --model candy.pth         # a fast_neural_style checkpoint
  vidstyle image photo.jpg best.jpg --optimize --steps 300     # Gatys et al. from adain (slow)
"""


def register(sub) -> None:
    p = sub.add_parser("image", help="stylize an image", description=DESCRIPTION, epilog=EXAMPLES,
                       formatter_class=args.Formatter)
    p.add_argument("input", metavar="IN", help="input image (jpg, png, webp, ...)")
    p.add_argument("output", metavar="OUT", help="output image (.jpg, .png, .webp)")
    args.add_model_options(p, auto_model=f"{STILLS_MODEL} on every device, for quality; large images in "
                           "tiles, see --tile")
    args.add_tile_options(p)
    optimize.add_options(p)
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary")
    p.set_defaults(func=run)


def run(a: argparse.Namespace) -> int:
    from ..media.files import check_output_path
    from ..media.images import image_format, load_image, write_image

    optimize.check(a)
    if a.model == "auto":
        a.model = STILLS_MODEL
    check_output_path(a.output, a.overwrite, (a.input,))
    image_format(a.output)
    rgb = load_image(a.input, what="input")
    stylizer = args.stylizer(a)
    t0 = time.monotonic()
    if a.optimize:
        out = optimize.optimized(a, stylizer, rgb)
    else:
        args.check_memory(stylizer, *rgb.shape[:2], batch=1)
        out = stylizer(rgb)
    write_image(a.output, out)
    if not a.quiet:
        how = f" + {a.steps} optimisation steps" if a.optimize else ""
        print(f"{a.output}: {rgb.shape[1]}x{rgb.shape[0]} in {time.monotonic() - t0:.2f} s, model "
              f"{stylizer.model_label}{how}, style {stylizer.style_name}", file=sys.stderr)
    return 0
