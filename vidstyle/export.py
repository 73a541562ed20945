"""``vidstyle export``: a style network with one style baked in, as TorchScript or ONNX.

The exported graph takes RGB float (N, 3, H, W) in [0, 1] with any N, H and W (dynamic axes; ONNX: H, W >= 8)
and returns the stylized frames at the same size, clamped to [0, 1], as ``Stylizer`` computes them in fp32
(internal resolution and guided upsampling included). ONNX needs the optional extra: pip install vidstyle[onnx].

    vidstyle export --style starry.jpg --format onnx starry.onnx
    vidstyle export --style starry.jpg --format torchscript starry.pt
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from .errors import VidstyleError
from .models.fast import guided_upsample, internal_size

FORMATS = ("onnx", "torchscript")
OPSET = 18


class Baked(nn.Module):
    """A per-frame network with its style code as buffers: ``forward(x (N, 3, H, W) in [0, 1])`` -> same size."""

    def __init__(self, net: nn.Module, code: tuple[torch.Tensor, torch.Tensor, torch.Tensor]):
        super().__init__()
        self.net = net
        self.register_buffer("mean", code[0].detach().float().cpu())
        self.register_buffer("std", code[1].detach().float().cpu())
        self.register_buffer("scales", code[2].detach().float().cpu())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # FrameNet.forward without its size branches (export wants one graph for all sizes): at the internal
        # size the resize is exact and the guided upsampling returns y (to float rounding)
        h, w = internal_size(x.shape[-2], x.shape[-1], self.net.internal)
        x_low = F.interpolate(x, size=(h, w), mode="bilinear", antialias=True, align_corners=False)
        y = self.net.decode(self.net.encoder(x_low), self.mean, self.std, self.scales)
        return guided_upsample(y, x_low, x).clamp(0.0, 1.0)


def bake(model: str = "fast", style=None) -> Baked:
    """The ``model`` (a registry name; only ``fast`` has a self-contained per-frame network) with ``style``
    (image path, array or None for the default style) baked in, fp32 on the CPU, in eval mode."""
    from .stylizer import Stylizer

    st = Stylizer(style=style, model=model, device="cpu", precision="fp32", disk_cache=False)
    net = getattr(st.net, "net", None)
    if net is None:
        raise VidstyleError(f"export supports the 'fast' model only, not '{model}'")
    return Baked(net.float(), st.style_code).eval()


def export(baked: Baked, out: str, fmt: str) -> str:
    """Write ``baked`` to ``out`` as ``fmt`` ('onnx' or 'torchscript'), atomically; returns ``out``."""
    if fmt not in FORMATS:
        raise VidstyleError(f"unknown export format '{fmt}' (use {' or '.join(FORMATS)})")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = f"{out}.tmp{os.getpid()}"
    try:
        if fmt == "torchscript":
            with warnings.catch_warnings():  # torch.jit's deprecation notice: the format is what was asked for
                warnings.simplefilter("ignore", FutureWarning)
                torch.jit.save(torch.jit.script(baked), tmp)
        else:
            _export_onnx(baked, tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return out


def _export_onnx(baked: Baked, path: str) -> None:
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401  (torch.onnx's exporter)
    except ImportError:
        raise VidstyleError("ONNX export needs the optional extra: pip install 'vidstyle[onnx]'") from None
    dims = {0: torch.export.Dim("n", min=1, max=256), 2: torch.export.Dim("h", min=8, max=8192),
            3: torch.export.Dim("w", min=8, max=8192)}
    # strict (Dynamo) tracing keeps the internal-size arithmetic symbolic; an example above the internal size
    # keeps size coincidences out of the graph
    program = torch.export.export(baked, (torch.rand(2, 3, 720, 1280),), dynamic_shapes={"x": dims}, strict=True)
    torch.onnx.export(program, (), path, input_names=["input"], output_names=["output"], opset_version=OPSET,
                      external_data=False, verbose=False)


def register(subparsers) -> None:
    """Add the ``export`` subcommand to the CLI's subparsers."""
    p = subparsers.add_parser("export", help="export a model with a baked-in style (ONNX, TorchScript)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("output", metavar="OUT", help="file to write (.onnx or .pt)")
    p.add_argument("--style", help="style image (default: the bundled Starry Night)")
    p.add_argument("--model", default="fast", help="model to export (default fast)")
    p.add_argument("--format", choices=FORMATS, help="default: from OUT's extension (.onnx: onnx, else torchscript)")
    p.set_defaults(func=cmd_export)


def cmd_export(a: argparse.Namespace) -> int:
    fmt = a.format or ("onnx" if a.output.lower().endswith(".onnx") else "torchscript")
    export(bake(a.model, a.style), a.output, fmt)
    print(f"{a.output}: {a.model} with style {a.style or 'default'}, {fmt}, input (N, 3, H, W) float RGB in [0, 1]",
          file=sys.stderr)
    return 0
