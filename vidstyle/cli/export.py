"""``vidstyle export``: a model with one style baked in, as ONNX or TorchScript."""
from __future__ import annotations

import argparse
import sys

from . import args

DESCRIPTION = """A style network with one style baked in. The exported graph takes RGB float (N, 3, H, W) in [0, 1]
with any N, H and W and returns the stylized frames at the same size, as vidstyle computes them in fp32.
ONNX needs the optional extra: pip install 'vidstyle[onnx]'.

examples:
  vidstyle export --style starry.jpg --format onnx starry.onnx
  vidstyle export --style starry.jpg --format torchscript starry.pt
  vidstyle export --style starry.jpg:0.7,wave:0.3 mix.onnx   # a mix; library names work too
"""


def register(sub) -> None:
    p = sub.add_parser("export", help="export a model with a baked-in style (ONNX, TorchScript)",
                       description=DESCRIPTION, formatter_class=args.Formatter)
    p.add_argument("output", metavar="OUT", help="file to write (.onnx or .pt)")
    p.add_argument("--style", type=args.style_arg, metavar="STYLE",
                   help="style image (default: the bundled Starry Night), a library name (`vidstyle styles`), "
                   "random, or a mix, e.g. a.jpg:0.7,b.jpg:0.3")
    p.add_argument("--model", default="fast", help="model to export (default fast)")
    p.add_argument("--format", choices=["onnx", "torchscript"],
                   help="default: from OUT's extension (.onnx: onnx, else torchscript)")
    p.set_defaults(func=run)


def run(a: argparse.Namespace) -> int:
    from ..export import bake, export

    fmt = a.format or ("onnx" if a.output.lower().endswith(".onnx") else "torchscript")
    export(bake(a.model, a.style), a.output, fmt)
    style = a.style if isinstance(a.style, (str, type(None))) else ",".join(f"{p}:{w:g}" for p, w in a.style)
    print(f"{a.output}: {a.model} with style {style or 'default'}, {fmt}, input (N, 3, H, W) float RGB in [0, 1]",
          file=sys.stderr)
    return 0
