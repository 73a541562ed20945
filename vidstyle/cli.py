"""Command line: ``vidstyle {file,image,webcam,train,eval,bench,export,styles}``. Wires stages together only."""
from __future__ import annotations

import argparse
import logging
import sys

from .errors import VidstyleError

TEMPORAL_STATS = 0.7  # EMA weight of the content statistics across frames when --temporal is on

EXAMPLES = """examples:
  vidstyle file in.mp4 out.mp4 --style starry.jpg
  vidstyle file in.mp4 out.mp4 --style starry.jpg --strength 0.7 --size 480
  vidstyle image photo.jpg painted.png --style samples/painting_hokusai_great_wave_off_kanagawa.jpg
  vidstyle styles
  vidstyle bench --model adain --size 360
  vidstyle bench --model fast --size 360 720 --backend torch onnxruntime --temporal flow
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

    p = sub.add_parser("file", help="stylize a video file", epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", metavar="IN", help="input video")
    p.add_argument("output", metavar="OUT", help="output video (.mp4, .mkv, .mov: H.264; .webm: VP9)")
    _add_common(p)
    p.add_argument("--batch", type=int, default=4, help="frames per model call (default 4)")
    p.add_argument("--crf", type=int, default=18, help="encoder quality, lower is better (default 18)")
    p.add_argument("--preset", default="veryfast", help="x264 preset (default veryfast)")
    p.add_argument("--out-size", type=_size_arg, help="output WxH (default: the input's size)")
    p.add_argument("--temporal", default="flow", choices=["off", "ema", "flow"],
                   help="temporal consistency (default flow: optical-flow guided blending, no flicker)")
    p.add_argument("--temporal-strength", type=float, help="how much of the past is kept, in [0, 1)")
    p.set_defaults(func=cmd_file)

    p = sub.add_parser("image", help="stylize an image", epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", metavar="IN", help="input image (jpg, png, webp, ...)")
    p.add_argument("output", metavar="OUT", help="output image (.jpg, .png, .webp)")
    _add_common(p)
    p.set_defaults(func=cmd_image)

    p = sub.add_parser("bench", help="measure frames per second", epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", nargs="+", default=["auto"], help="model(s) to measure")
    p.add_argument("--size", nargs="+", type=int, default=[360], help="frame short side(s), 16:9 (default 360)")
    p.add_argument("--device", default="auto")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "bf16"])
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--frames", type=int, default=60, help="frames of the end-to-end clip (default 60)")
    p.add_argument("--seconds", type=float, default=5.0, help="time per model-only measurement")
    p.add_argument("--temporal", default="off", help="temporal mode for the end-to-end run")
    p.add_argument("--backend", nargs="+", default=["torch"], choices=["torch", "onnxruntime"],
                   help="inference backend(s); onnxruntime runs the exported fast model (model-only, fp32, CPU)")
    p.add_argument("--no-e2e", dest="e2e", action="store_false", help="model-only")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--live", action="store_true", help="the webcam pipeline on a synthetic 640x480 30 fps camera "
                   "for --seconds: fps and capture->output latency (--size: processing short side)")
    p.set_defaults(func=cmd_bench)

    from . import evaluate

    evaluate.register(sub)

    from . import export, webcam_cmd

    export.register(sub)

    webcam_cmd.register(sub)

    p = sub.add_parser("styles", help="list models and bundled styles")
    p.set_defaults(func=cmd_styles)

    p = sub.add_parser("train", help="train a style network", epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="adain")
    p.add_argument("--content", nargs="+", required=True, help="folder(s) of photos")
    p.add_argument("--style", nargs="+", default=[], help="folder(s) of artworks (arbitrary-style training)")
    p.add_argument("--style-image", metavar="IMG", help="train a single-style network on this one painting "
                   "(instead of --style folders), e.g. --model fast --init vidstyle/weights/fast.safetensors")
    p.add_argument("--style-soft", nargs="*", default=[], help="folder(s) of soft (upscaled) artworks, sampled less")
    p.add_argument("--soft-rate", type=float, default=0.25, help="sampling weight of --style-soft folders")
    p.add_argument("--size", type=int, default=128, help="crop size")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=10000)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--style-weight", type=float, default=1.0, help="weight of the layer-balanced style loss")
    p.add_argument("--stability-weight", type=float,
                   help="weight of the warped-input stability loss (default: 5 for fast, 0 for adain)")
    p.add_argument("--distill-weight", type=float, default=0.0,
                   help="end-to-end models (fast): weight of a VGG feature loss towards the shipped adain's output")
    p.add_argument("--gram-weight", type=float, default=0.0, help="weight of the layer-balanced Gram (channel "
                   "correlation) style loss at relu1_1..relu3_1")
    p.add_argument("--border-weight", type=float, default=10.0, help="weight of the loss that keeps a frame from "
                   "being painted along the image edges (default 10)")
    p.add_argument("--whole-rate", type=float, default=0.25, help="share of whole photos (with their real edges) "
                   "among the content samples (default 0.25)")
    p.add_argument("--out", default="checkpoints/adain.pt", help="checkpoint path (a .jsonl log and preview beside)")
    p.add_argument("--resume", help="checkpoint to continue from (may be --out itself)")
    p.add_argument("--init", help="shipped .safetensors weights to start from when --resume has no checkpoint "
                   "(fresh optimizer; the step count continues)")
    p.add_argument("--device", default="auto")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "bf16"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-every", type=float, default=300.0, help="seconds between checkpoints")
    p.add_argument("--preview-every", type=int, default=200, help="steps between preview grids")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_train)
    return ap


def _size_arg(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        if w > 0 and h > 0:
            return w, h
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 1280x720, got '{text}'")


def _stylizer(a: argparse.Namespace, temporal_stats: float = 0.0):
    from .stylizer import Stylizer

    if a.size is not None and a.size < 16:
        raise VidstyleError(f"--size must be at least 16 pixels, got {a.size}")
    return Stylizer(style=a.style, model=a.model, device=a.device, precision=a.precision, strength=a.strength,
                    size=a.size, temporal_stats=temporal_stats)


def _temporal(a: argparse.Namespace):
    from .temporal import make_temporal

    if a.temporal_strength is not None and not 0.0 <= a.temporal_strength < 1.0:
        raise VidstyleError(f"--temporal-strength must be in [0, 1), got {a.temporal_strength}")
    return make_temporal(a.temporal, a.temporal_strength)


def _check_strength(a: argparse.Namespace) -> None:
    if not 0.0 <= a.strength <= 1.0:
        raise VidstyleError(f"--strength must be between 0 and 1, got {a.strength}")


def cmd_file(a: argparse.Namespace) -> int:
    from .pipeline import stylize_file
    from .sinks import VideoFileSink, check_output_path
    from .sources import FileSource

    _check_strength(a)
    check_output_path(a.output, a.overwrite, (a.input,))
    temporal = _temporal(a)
    source = FileSource(a.input)
    try:
        stylizer = _stylizer(a, temporal_stats=0.0 if a.temporal == "off" else TEMPORAL_STATS)
        if source.dropped and not a.quiet:
            print(f"vidstyle: dropping streams {source.describe_dropped()} (only video and the first audio "
                  "track are kept)", file=sys.stderr)
        sink = VideoFileSink(a.output, source.info, a.out_size, crf=a.crf, preset=a.preset,
                             audio_stream=source.audio_stream)
    except BaseException:
        source.close()
        raise
    stats = stylize_file(source, sink, stylizer, temporal=temporal, batch=max(1, a.batch), quiet=a.quiet)
    if not a.quiet:
        note = f" (input damaged after frame {source.truncated_after})" if source.truncated_after is not None else ""
        print(f"{a.output}: {stats.frames} frames in {stats.seconds:.1f} s, {stats.fps:.2f} fps, "
              f"model {stylizer.model_name}, style {stylizer.style_name}{note}", file=sys.stderr)
    return 0


def cmd_image(a: argparse.Namespace) -> int:
    import time

    from .sinks import check_output_path, image_format, write_image
    from .sources import read_image

    _check_strength(a)
    check_output_path(a.output, a.overwrite, (a.input,))
    image_format(a.output)
    rgb = read_image(a.input)
    stylizer = _stylizer(a)
    t0 = time.monotonic()
    write_image(a.output, stylizer(rgb))
    if not a.quiet:
        print(f"{a.output}: {rgb.shape[1]}x{rgb.shape[0]} in {time.monotonic() - t0:.2f} s, model "
              f"{stylizer.model_name}, style {stylizer.style_name}", file=sys.stderr)
    return 0


def cmd_bench(a: argparse.Namespace) -> int:
    import json

    from .bench import HEADER, format_live, live_bench, machine, run_bench

    if a.live:
        result = live_bench(a.model[0], a.size[0], a.device, a.precision, a.seconds, temporal=a.temporal)
        print(json.dumps(result, indent=2) if a.json else format_live(result))
        return 0
    if not a.json:
        print(f"machine: {machine()}")
        print(HEADER)
    result = run_bench(a.model, a.size, a.device, a.precision, max(1, a.batch), a.frames, a.seconds, a.e2e,
                       a.temporal, quiet=a.json, backends=tuple(a.backend))
    if a.json:
        print(json.dumps(result, indent=2))
    return 0


def cmd_styles(a: argparse.Namespace) -> int:
    import os

    from .models import registry
    from .styles import DEFAULT_STYLE, bundled_styles

    print("models:")
    for name, spec in registry.MODELS.items():
        state = "trained" if os.path.exists(spec.weights_path) else "untrained (no weights shipped)"
        print(f"  {name:12s} {state}")
    print("bundled styles (use --style PATH):")
    for path in bundled_styles():
        mark = " (default)" if os.path.basename(path) == DEFAULT_STYLE else ""
        print(f"  {path}{mark}")
    return 0


def cmd_train(a: argparse.Namespace) -> int:
    from .train.loop import TrainConfig, train

    if bool(a.style) == bool(a.style_image):
        raise VidstyleError("give either --style FOLDER... (arbitrary styles) or --style-image IMG (one style)")
    cfg = TrainConfig(model=a.model, content=a.content, style=a.style, style_soft=a.style_soft,
                      soft_rate=a.soft_rate, style_image=a.style_image, size=a.size, batch=a.batch, steps=a.steps,
                      lr=a.lr, style_weight=a.style_weight, stability_weight=a.stability_weight,
                      distill_weight=a.distill_weight, gram_weight=a.gram_weight, border_weight=a.border_weight,
                      whole_rate=a.whole_rate, out=a.out,
                      resume=a.resume, init=a.init, device=a.device, precision=a.precision, seed=a.seed,
                      checkpoint_every=a.checkpoint_every, preview_every=a.preview_every, quiet=a.quiet)
    try:
        train(cfg)
    except (FileNotFoundError, KeyError, ValueError) as e:
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
    except Exception as e:  # noqa: BLE001 - an unexpected failure still gets one line (--debug shows more)
        if a.debug:
            raise
        msg = str(e).splitlines()[0] if str(e) else ""
        print(f"vidstyle: error: {type(e).__name__}: {msg} (run with --debug for details)", file=sys.stderr)
        return 1
