"""``vidstyle train``: train a style network (resumable, atomic checkpoints, JSONL log, previews)."""
from __future__ import annotations

import argparse
import os
from dataclasses import fields

from ..errors import VidstyleError
from . import args

EXAMPLES = """examples:
  vidstyle train --model adain --content photos/ --style paintings/ --out ckpt/adain.pt --resume ckpt/adain.pt
  vidstyle train --model fast --content photos/ --style-image starry.jpg --init vidstyle/weights/fast.safetensors
  torchrun --nproc_per_node 2 -m vidstyle train --model adain --content photos/ --style paintings/
"""


def register(sub) -> None:
    p = sub.add_parser("train", help="train a style network", epilog=EXAMPLES, formatter_class=args.Formatter,
                       description="Train a style network. The hold-outs of `vidstyle eval --holdout` (a fixed 1 file "
                       "name in 20, and the held-out source collections named in a folder's MANIFEST.tsv) are left "
                       "out of every --content, --style and --style-soft folder.")
    p.add_argument("--model", default="adain")
    p.add_argument("--content", nargs="+", required=True, help="folder(s) of photos")
    p.add_argument("--style", nargs="+", default=[], help="folder(s) of artworks (arbitrary-style training)")
    p.add_argument("--style-image", metavar="IMG", help="train a single-style network on this one painting "
                   "(instead of --style folders; or a bundled one: starry, wave, kandinsky), e.g. --model fast "
                   "--init vidstyle/weights/fast.safetensors")
    p.add_argument("--style-soft", nargs="*", default=[], help="folder(s) of soft (upscaled) artworks, sampled less")
    p.add_argument("--soft-rate", type=args.float_in(0, 100), default=0.25,
                   help="sampling weight of --style-soft folders")
    p.add_argument("--size", type=args.int_in(args.MIN_SIZE, 1024), default=128, help="crop size (default 128)")
    p.add_argument("--batch", type=args.int_in(1, 4096), default=8)
    p.add_argument("--steps", type=args.int_in(1, 10**9), default=10000)
    p.add_argument("--lr", type=args.float_in(1e-9, 1), default=1e-4)
    p.add_argument("--style-weight", type=args.float_in(0, 1e6), default=1.0,
                   help="weight of the layer-balanced style loss")
    p.add_argument("--stability-weight", type=args.float_in(0, 1e6),
                   help="weight of the warped-input stability loss (default: 5 for fast, 0 for adain)")
    p.add_argument("--distill-weight", type=args.float_in(0, 1e6), default=0.0,
                   help="end-to-end models (fast): weight of a VGG feature loss towards the shipped adain's output")
    p.add_argument("--gram-weight", type=args.float_in(0, 1e6), default=0.0,
                   help="weight of the layer-balanced Gram (channel correlation) style loss")
    p.add_argument("--gram-layers", nargs="+", metavar="TAP", help="VGG19 taps of the Gram loss, from relu1_1 "
                   "relu2_1 relu3_1 relu4_1 (default: relu1_1 relu2_1 relu3_1; add relu4_1 for larger strokes)")
    p.add_argument("--swd-weight", type=args.float_in(0, 1e6), default=0.0,
                   help="weight of the layer-balanced sliced Wasserstein style loss (whole feature distributions: "
                   "stroke shapes that mean/std and Gram losses average away)")
    p.add_argument("--swd-layers", nargs="+", metavar="TAP", help="VGG19 taps of the sliced Wasserstein loss "
                   "(default: relu1_1 relu2_1 relu3_1 relu4_1)")
    p.add_argument("--style-scale", type=args.int_in(args.MIN_SIZE, 4096), metavar="PX",
                   help="with --style-image: the style target is the whole painting at this short side "
                   "(encoded once; larger: larger strokes) instead of random crops of it")
    p.add_argument("--context", action="store_true",
                   help="fast: add the wide-context branch (~230 px receptive field instead of ~80; 10-23 %% slower "
                   "on a 2-core CPU) for brush forms larger than short strokes; --init may name weights without it")
    p.add_argument("--padding", choices=("zeros", "replicate"),
                   help="fast: how the encoder's residual blocks pad (default zeros; replicate: no faint band of "
                   "other texture along the edges, but 10-25 %% fewer frames per second on a 2-core CPU)")
    p.add_argument("--border-weight", type=args.float_in(0, 1e6), default=100.0,
                   help="weight of the loss that keeps a frame from "
                   "being painted along the image edges (default 100)")
    p.add_argument("--whole-rate", type=args.float_in(0, 1), default=0.25,
                   help="share of whole photos (with their real edges) "
                   "among the content samples (default 0.25)")
    p.add_argument("--out", default="checkpoints/adain.pt", help="checkpoint path (a .jsonl log and preview beside)")
    p.add_argument("--resume", help="checkpoint to continue from (may be --out itself)")
    p.add_argument("--init", help="shipped .safetensors weights to start from when --resume has no checkpoint "
                   "(fresh optimizer; the step count continues)")
    args.add_device_options(p)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-every", type=args.float_in(1, 1e12), default=300.0, help="seconds between checkpoints")
    p.add_argument("--preview-every", type=args.int_in(1, 10**9), default=200, help="steps between preview grids")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def run(a: argparse.Namespace) -> int:
    from ..styles import bundled_style
    from ..train.loop import TrainConfig, train

    if bool(a.style) == bool(a.style_image):
        raise VidstyleError("give either --style FOLDER... (arbitrary styles) or --style-image IMG (one style)")
    if a.style_scale and not a.style_image:
        raise VidstyleError("--style-scale needs --style-image (a single-style network)")
    if a.style_image and not os.path.exists(a.style_image):  # a bundled painting's short name, e.g. starry
        a.style_image = bundled_style(a.style_image) or a.style_image
    for option in ("context", "padding"):
        if getattr(a, option) and a.model != "fast":
            raise VidstyleError(f"--{option} is a fast option (--model fast)")
    a.gram_layers = tuple(a.gram_layers) if a.gram_layers else None
    a.swd_layers = tuple(a.swd_layers) if a.swd_layers else None
    given = {f.name: getattr(a, f.name, None) for f in fields(TrainConfig)}
    cfg = TrainConfig(**{k: v for k, v in given.items() if v is not None})
    try:
        train(cfg)
    except (FileNotFoundError, KeyError, ValueError) as e:
        raise VidstyleError(str(e).strip("'\"")) from e
    return 0
