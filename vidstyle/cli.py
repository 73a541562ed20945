"""Command line: ``vidstyle {file,image,webcam,train,eval,bench,export,styles}``. Wires stages together only."""
from __future__ import annotations

import argparse
import logging
import sys

from .errors import VidstyleError

EXAMPLES = """examples:
  vidstyle file in.mp4 out.mp4 --style starry.jpg
  vidstyle file in.mp4 out.mp4 --style starry.jpg --strength 0.7 --size 480
  vidstyle image photo.jpg painted.png --style samples/painting_hokusai_great_wave_off_kanagawa.jpg
  vidstyle styles
  vidstyle bench --model adain --size 360
  vidstyle train --model adain --content photos/ --style paintings/ --out ckpt/adain.pt --resume ckpt/adain.pt
"""


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--style", help="style image (default: the bundled Starry Night)")
    p.add_argument("--strength", type=float, default=1.0, help="style strength in [0, 1] (default 1)")
    p.add_argument("--model", default="auto", help="style network (see `vidstyle styles`; default: auto)")
    p.add_argument("--size", type=int, help="processing short side in pixels (default: the input's)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "bf16"])
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or summary")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="vidstyle", description="Stylize videos, images and cameras with any painting.",
                                 epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("train", help="train a style network", epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="adain")
    p.add_argument("--content", nargs="+", required=True, help="folder(s) of photos")
    p.add_argument("--style", nargs="+", required=True, help="folder(s) of artworks")
    p.add_argument("--style-soft", nargs="*", default=[], help="folder(s) of soft (upscaled) artworks, sampled less")
    p.add_argument("--soft-rate", type=float, default=0.25, help="sampling weight of --style-soft folders")
    p.add_argument("--size", type=int, default=128, help="crop size")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=10000)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--style-weight", type=float, default=1.0, help="weight of the layer-balanced style loss")
    p.add_argument("--out", default="checkpoints/adain.pt", help="checkpoint path (a .jsonl log and preview beside)")
    p.add_argument("--resume", help="checkpoint to continue from (may be --out itself)")
    p.add_argument("--device", default="auto")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "bf16"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-every", type=float, default=300.0, help="seconds between checkpoints")
    p.add_argument("--preview-every", type=int, default=200, help="steps between preview grids")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_train)
    return ap


def cmd_train(a: argparse.Namespace) -> int:
    from .train.loop import TrainConfig, train

    cfg = TrainConfig(model=a.model, content=a.content, style=a.style, style_soft=a.style_soft,
                      soft_rate=a.soft_rate, size=a.size, batch=a.batch, steps=a.steps, lr=a.lr,
                      style_weight=a.style_weight, out=a.out, resume=a.resume, device=a.device,
                      precision=a.precision, seed=a.seed, checkpoint_every=a.checkpoint_every,
                      preview_every=a.preview_every, quiet=a.quiet)
    try:
        train(cfg)
    except (FileNotFoundError, KeyError) as e:
        raise VidstyleError(str(e).strip("'\"")) from e
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if a.debug else logging.WARNING, format="vidstyle: %(message)s")
    try:
        return a.func(a)
    except VidstyleError as e:
        if a.debug:
            raise
        print(f"vidstyle: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vidstyle: interrupted", file=sys.stderr)
        return 130
