"""``vidstyle eval``: the metrics of docs/evaluation.md on image pairs or on a stylized video."""
from __future__ import annotations

import argparse
import json
import os

from . import args

EXAMPLES = """examples:
  vidstyle eval --content photos/ --style paintings/ --pairs 20 --model adain --sheet sheet.png
  vidstyle eval --content photos/ --style paintings/ --holdout --pairs 60 --json
  vidstyle eval --content DATA/content --style DATA/style --holdout sources --pairs 24 --model fast --compare adain
  vidstyle eval --content samples/photo_*.jpg --style samples/painting_*.jpg --pairs 9 --model fast --compare adain \
                --sheet sheet.png
  vidstyle eval --content DATA/content --style DATA/style --holdout --pairs 6 --size 256 \
                --model adain --optimize 100       # adain and adain refined by Gatys et al., same pairs
  vidstyle eval --video out.mp4 --input in.mp4 --style starry.jpg --sheet flicker.png
"""


def register(sub) -> None:
    p = sub.add_parser("eval", help="measure style, content, SSIM and temporal metrics", epilog=EXAMPLES,
                              description="Style transfer metrics on image pairs (image mode, --content and "
                              "--style folders) or on a stylized video (video mode, --video and --input).",
                              formatter_class=args.Formatter)
    p.add_argument("--content", nargs="+", metavar="PATH", help="image mode: folders or files of content photos")
    p.add_argument("--style", nargs="+", metavar="PATH",
                   help="image mode: folders or files of style images, library names (`vidstyle styles`), "
                   "random or group:K; video mode: the style image (optional)")
    p.add_argument("--pairs", type=args.int_in(1, 100000), default=20,
                   help="number of (content, style) pairs (default 20)")
    p.add_argument("--model", default="adain", help="style network (default adain)")
    p.add_argument("--compare", metavar="MODEL", help="image mode: a second model, measured and shown beside")
    p.add_argument("--optimize", type=args.int_in(1, 100000), metavar="STEPS",
                   help="image mode: also refine the model's result by optimisation (Gatys et al., L-BFGS, like "
                   "`vidstyle image --optimize`) for STEPS steps, measured as the method 'optimized' on the same "
                   "pairs; slow (seconds per step on a CPU), e.g. --optimize 100")
    p.add_argument("--style-weight", type=args.float_in(1e6, 1e14), metavar="W",
                   help="with --optimize: the optimiser's style weight (default 1e10), e.g. --style-weight 3e10")
    p.add_argument("--size", type=args.int_in(args.MIN_SIZE, 4320), default=384,
                   help="content short side in pixels (default 384)")
    p.add_argument("--strength", type=args.float_in(0, 1), default=1.0, help="style strength in [0, 1] (default 1)")
    p.add_argument("--holdout", nargs="?", const="files", choices=("files", "sources"),
                   help="only images `vidstyle train` leaves out, on both sides (files named directly are always "
                   "used): `files` (the default of a bare --holdout) = a fixed 1 file name in 20 of every folder; "
                   "`sources` = whole source collections, read from each folder's MANIFEST.tsv (the harder test; the "
                   "shipped weights predate it and saw them, see docs/evaluation.md#hold-outs)")
    p.add_argument("--seed", type=int, default=0, help="seed of the pair draw (default 0)")
    p.add_argument("--sheet", help="write a contact sheet PNG: image mode content | style | output | reinhard; "
                   "video mode input | output | flicker map, for six frames")
    p.add_argument("--video", help="video mode: the stylized video")
    p.add_argument("--input", help="video mode: the input video it was made from")
    p.add_argument("--max-frames", type=args.int_in(2, 10**6), default=300,
                   help="video mode: frames to use (default 300)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args.add_device_options(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress")
    p.set_defaults(func=run)


def style_paths(values: list[str] | None) -> list[str] | None:
    """Image mode's --style values: folders and files as given, a library name (or random) as its image file,
    group:K as the files of that group (anything else is left for the pair draw to name)."""
    from ..library.spec import GROUP, Resolver

    if not values:
        return values
    r, out = Resolver(), []
    for v in values:
        if os.path.exists(v) or not r.known(v):
            out.append(v)
        else:
            out += r.group(v) if GROUP.fullmatch(v) else [r.path(v)]
    return out


def run(a: argparse.Namespace) -> int:
    """Run image or video mode and print the result."""
    from ..errors import VidstyleError
    from ..eval.report import format_table

    if a.style_weight is not None and not a.optimize:
        raise VidstyleError("--style-weight needs --optimize")
    if a.video or a.input:
        from ..eval.video import evaluate_video

        result = evaluate_video(a)
    else:
        from ..eval.images import evaluate_images

        a.style = style_paths(a.style)
        result = evaluate_images(a)
    print(json.dumps(result, indent=1) if a.json else format_table(result))
    return 0
