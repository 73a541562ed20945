"""A style network with one style baked in, as TorchScript or ONNX (``vidstyle export``).

The exported graph takes RGB float (N, 3, H, W) in [0, 1] with any N and any H, W of at least 96 (dynamic axes)
and returns the stylized frames at the same size, clamped to [0, 1], as ``Stylizer`` computes them in fp32
(internal resolution and guided upsampling included). ONNX needs the optional extra: pip install vidstyle[onnx].

    vidstyle export --style starry.jpg --format onnx starry.onnx
    vidstyle export --style starry.jpg --format torchscript starry.pt
"""
from __future__ import annotations

import os
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from .errors import VidstyleError
from .media.files import AtomicFile
from .models.edges import MIN_EDGE_SIDE, edges_fixed
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
        if self.net.edge_fix:
            y = edges_fixed(y.float(), x_low)
        return guided_upsample(y, x_low, x).clamp(0.0, 1.0)


def bake(model: str = "fast", style=None) -> Baked:
    """The ``model`` (a registry name; only ``fast`` has a self-contained per-frame network) with ``style``
    (image path, array or None for the default style) baked in, fp32 on the CPU, in eval mode."""
    from .api import Stylizer

    st = Stylizer(style=style, model=model, device="cpu", precision="fp32", disk_cache=False)
    net = getattr(st.network_for(), "net", None)
    if net is None:
        raise VidstyleError(f"export supports the 'fast' model only, not '{model}'")
    return Baked(net.float(), st.style_code).eval()


def export(baked: Baked, out: str, fmt: str) -> str:
    """Write ``baked`` to ``out`` as ``fmt`` ('onnx' or 'torchscript'), atomically; returns ``out``."""
    if fmt not in FORMATS:
        raise VidstyleError(f"unknown export format '{fmt}' (use {' or '.join(FORMATS)})")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    file = AtomicFile(out)
    try:
        if fmt == "torchscript":
            with warnings.catch_warnings():  # torch.jit's deprecation notice: the format is what was asked for
                warnings.simplefilter("ignore", FutureWarning)
                torch.jit.save(torch.jit.script(baked), file.tmp)
        else:
            _export_onnx(baked, file.tmp)
        file.commit()
    finally:
        file.discard()
    return out


def _export_onnx(baked: Baked, path: str) -> None:
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401  (torch.onnx's exporter)
    except ImportError:
        raise VidstyleError("ONNX export needs the optional extra: pip install 'vidstyle[onnx]'") from None
    dims = {0: torch.export.Dim("n", min=1, max=256), 2: torch.export.Dim("h", min=MIN_EDGE_SIDE, max=8192),
            3: torch.export.Dim("w", min=MIN_EDGE_SIDE, max=8192)}
    # strict (Dynamo) tracing keeps the internal-size arithmetic symbolic; an example above the internal size
    # keeps size coincidences out of the graph
    program = torch.export.export(baked, (torch.rand(2, 3, 720, 1280),), dynamic_shapes={"x": dims}, strict=True)
    torch.onnx.export(program, (), path, input_names=["input"], output_names=["output"], opset_version=OPSET,
                      external_data=False, verbose=False)
