"""``vidstyle bench``: frames per second, model-only and end to end, or live latency."""
from __future__ import annotations

import argparse
import json

from . import args

ROUNDS = 3  # as vidstyle.bench.ROUNDS (not imported here: --help starts without torch)

EXAMPLES = """examples:
  vidstyle bench --model adain --size 360
  vidstyle bench --model fast --size 360 720 --backend torch onnxruntime --temporal flow
  vidstyle bench --model fast-v1 fast --no-e2e --rounds 5 --seconds 2   # side by side, median of 5
  vidstyle bench --live --model fast --size 480
"""


def register(sub) -> None:
    p = sub.add_parser("bench", help="measure frames per second", epilog=EXAMPLES, formatter_class=args.Formatter)
    p.add_argument("--model", nargs="+", default=["auto"], help="model(s) to measure")
    p.add_argument("--size", nargs="+", type=args.int_in(args.MIN_SIZE, 4320), default=[360],
                   help="frame short side(s), 16:9 (default 360)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--precision", nargs="+", choices=args.PRECISIONS, metavar="P",
                   help="precision(s) to time (default: fp32 and, where the CPU has native bf16, bf16; fp16 on CUDA)")
    args.add_batch_option(p)
    p.add_argument("--frames", type=args.int_in(2, 10000), default=60,
                   help="frames of the end-to-end clip (default 60)")
    p.add_argument("--seconds", type=args.float_in(0.1, 3600), default=5.0, help="time per model-only measurement")
    p.add_argument("--rounds", type=args.int_in(1, 100), default=ROUNDS, help="timings (model-only and end-to-end) "
                   "interleaved across models and precisions this many times; rows give the median and range, and "
                   f"rounds that disagree are warned about (default {ROUNDS})")
    p.add_argument("--temporal", default="off", choices=args.TEMPORAL_MODES,
                   help="temporal mode for the end-to-end run")
    p.add_argument("--backend", nargs="+", default=["torch"], choices=["torch", "onnxruntime"],
                   help="inference backend(s); onnxruntime runs the exported fast model (model-only, fp32, CPU)")
    p.add_argument("--no-e2e", dest="e2e", action="store_false", help="model-only")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--keyframes", default="auto", choices=("auto", "on", "off"),
                   help="--live: the model paints keyframes carried by optical flow (on), every frame (off), or "
                   "keyframes when one frame takes it longer than 0.1 s (auto, default; as `vidstyle webcam`)")
    p.add_argument("--live", action="store_true", help="the webcam pipeline on a synthetic 640x480 30 fps camera "
                   "for --seconds: fps and capture->output latency (--size: processing short side)")
    p.set_defaults(func=run)


def run(a: argparse.Namespace) -> int:
    from ..bench import HEADER, format_live, live_bench, run_bench
    from ..runtime.device import machine

    if a.live:
        precision = a.precision[0] if a.precision else "auto"
        result = live_bench(a.model[0], a.size[0], a.device, precision, a.seconds, temporal=a.temporal,
                            keyframes=args.live_keyframes(a))
        print(json.dumps(result, indent=2) if a.json else format_live(result))
        return 0
    if not a.json:
        print(f"machine: {machine()}")
        print(HEADER)
    result = run_bench(a.model, a.size, a.device, a.precision, a.batch, a.frames, a.seconds, a.e2e,
                       a.temporal, quiet=a.json, backends=tuple(a.backend), rounds=a.rounds)
    if a.json:
        print(json.dumps(result, indent=2))
    return 0
