"""Optimisation-quality stills: Gatys et al. 2016 ("Image Style Transfer Using Convolutional Neural Networks"),
the image itself optimised with L-BFGS through the frozen VGG19, started from a feed-forward result.

Loss = content_weight * content + style_weight * style + tv_weight * tv, with
- content: MSE of relu4_2 features, output vs content image;
- style: sum over relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 of MSE(Gram(output), Gram(style)), where
  Gram(F) = F F^T / (C H W) for features F of shape (C, H*W): the mean over positions of the channel products,
  divided by C as well;
- tv: mean squared difference of neighbouring pixels (RGB in [0, 1]), which keeps pixel noise down.

Normalisation, and the weights: 1e5 / 1e10 (the defaults) are the weights of pytorch/examples
``fast_neural_style``, whose loss is exactly the one above (Gram / (C H W), both terms means, not sums) on a
VGG fed ImageNet-normalised inputs, (rgb - mean) / std with std ~0.226. This VGG19 takes Caffe inputs,
255 * (rgb - mean), so its features are about 255 * 0.226 = 57.6 times larger (the network is nearly linear in
its input's scale); every feature is therefore divided by ``FEATURE_SCALE`` = 57.6 before the losses. (Until
2026-12-01 the scale was 255, which left out the std and weakened the style term 19x against the content term:
1e10 then undid a stylised start, and the default had to be 1e11.) On the bundled chameleon x Starry Night at
384 px, started from ``adain``'s result, the weighted terms are content 1.2e7, style 1.1e8 and TV 3.3e5 (0.3 %,
"small"); after 90 steps 8.3e6, 4.0e6 and 3.6e5.

What this normalisation does not balance is the layers: the Caffe VGG's deep activations are far larger, so
relu4_1 dominates the style term and relu5_1 hardly counts (Gatys et al. used a VGG rescaled to mean
activation 1 per filter; this one is not). docs/measurements.md, "Optimised stills", shows what that costs in
the metrics.

Speed (a 2-core AVX-512 Xeon, 683x512, a step = one VGG forward and backward pass): the VGG runs
channels-last (oneDNN's native layout) and under bf16 autocast where the precision allows (the Gram matrices
and the losses stay fp32): 5.1 s a step before, 3.4 s channels-last in fp32, 2.5 s in bf16. L-BFGS stays
stable in bf16 (40 steps at 192 px: final loss 1.3 % above fp32's). Tried and dropped: two thirds of the
steps at half resolution (their change upsampled onto the start) took 56 % of the time but, at equal time,
ended 6 % above plain L-BFGS's loss and looked blockier (chameleon x Starry Night, 384 px).

Images are float tensors (1, 3, H, W), RGB in [0, 1].

May import: ``vidstyle.models``, ``vidstyle.runtime``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from .models import colour
from .models.vgg import RELU4_2, TAPS, VGG19Encoder
from .runtime.progress import Progress
from .runtime.tensors import resize_short, to_tensor, to_uint8

CONTENT_TAP = RELU4_2
STYLE_TAPS = TAPS  # relu1_1 .. relu5_1
IMAGENET_STD = 0.226  # the mean of the ImageNet per-channel std (0.229, 0.224, 0.225)
FEATURE_SCALE = 255.0 * IMAGENET_STD  # Caffe VGG features -> the scale of a VGG fed ImageNet-normalised inputs
STYLE_SHORT_SIDE = 512  # the style image's short side for its Gram matrices (as in the metrics)
HISTORY = 50  # L-BFGS history size
SHORT_SIDE = 512  # default processing short side of ``vidstyle image --optimize``
# working memory per pixel, fp32: VGG19 activations kept for the backward pass (~1.3 kB), the L-BFGS history
# (2 * HISTORY image-sized vectors, 1.2 kB) and gradients
BYTES_PER_PIXEL = 4096


@dataclass(frozen=True)
class Weights:
    """Weights of the loss terms (see the module docstring for the normalisation they belong to)."""
    content: float = 1e5
    style: float = 1e10
    tv: float = 2e7


def vgg_dtype(precision: torch.dtype, device: torch.device) -> torch.dtype:
    """The VGG's autocast precision for a run at ``precision``: bf16 for bf16 and fp16 (fp16 gradients
    would underflow without loss scaling, which L-BFGS's line search cannot take), fp32 for fp32 and on a GPU
    without bf16."""
    if precision == torch.float32 or (device.type == "cuda" and not torch.cuda.is_bf16_supported()):
        return torch.float32
    return torch.bfloat16


def memory_needed(h: int, w: int) -> int:
    """Bytes an optimisation of an (h, w) image needs (an estimate from ``BYTES_PER_PIXEL``)."""
    return BYTES_PER_PIXEL * h * w


def gram(feat: torch.Tensor) -> torch.Tensor:
    """Features (N, C, H, W) -> Gram matrices (N, C, C) = F F^T / (C H W), in fp32."""
    n, c, h, w = feat.shape
    f = feat.float().reshape(n, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of vertically and horizontally neighbouring pixels of (N, 3, H, W) -> scalar."""
    return ((x[..., 1:, :] - x[..., :-1, :]) ** 2).mean() + ((x[..., :, 1:] - x[..., :, :-1]) ** 2).mean()


class GatysLoss(nn.Module):
    """The loss of the module docstring for one content and one style image, targets computed once.

    vgg: a VGG19Encoder to relu5_1; content: (1, 3, H, W) in [0, 1]; style: (1, 3, h, w) in [0, 1], any size
    (resized to short side ``style_short_side``), or a mix [(style, weight)] with weights summing to 1, whose
    Gram targets are the weighted sums of the styles'. ``forward(x)`` -> {"total", "content", "style", "tv"}: the
    weighted total and the three unweighted terms, fp32 scalars. dtype: the VGG's autocast precision
    (torch.float32: none)."""

    def __init__(self, vgg: VGG19Encoder, content: torch.Tensor, style: torch.Tensor | list,
                 weights: Weights = Weights(), style_short_side: int = STYLE_SHORT_SIDE,
                 dtype: torch.dtype = torch.float32):
        super().__init__()
        self.vgg, self.weights, self.dtype = vgg, weights, dtype
        mix = [(style, 1.0)] if isinstance(style, torch.Tensor) else style
        with torch.no_grad():
            self.content_target = self.features(content, (CONTENT_TAP,), autocast=False)[CONTENT_TAP]
            self.style_targets = {t: 0.0 for t in STYLE_TAPS}
            for image, w in mix:
                feats = self.features(resize_short(image, style_short_side).clamp(0, 1), STYLE_TAPS, autocast=False)
                self.style_targets = {t: g + w * gram(feats[t]) for t, g in self.style_targets.items()}

    def features(self, x: torch.Tensor, taps: tuple[str, ...], autocast: bool = True) -> dict[str, torch.Tensor]:
        """(1, 3, H, W) in [0, 1] -> {tap: fp32 features / FEATURE_SCALE}; the VGG runs channels-last (the same
        layout for targets and steps, so the content's own loss is exactly 0), under ``dtype`` if ``autocast``."""
        with torch.autocast(x.device.type, dtype=self.dtype, enabled=autocast and self.dtype != torch.float32):
            feats = self.vgg(x.contiguous(memory_format=torch.channels_last), taps)
        return {t: f.float() / FEATURE_SCALE for t, f in feats.items()}

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        feats = self.features(x, (*STYLE_TAPS, CONTENT_TAP))
        content = ((feats[CONTENT_TAP] - self.content_target) ** 2).mean()
        style = sum(((gram(feats[t]) - g) ** 2).mean() for t, g in self.style_targets.items())
        tv = total_variation(x)
        w = self.weights
        return {"total": w.content * content + w.style * style + w.tv * tv, "content": content, "style": style,
                "tv": tv}


def optimize(loss_fn: GatysLoss, init: torch.Tensor, steps: int,
             on_step: Callable[[dict[str, float]], None] | None = None) -> torch.Tensor:
    """Minimise ``loss_fn`` over the image with L-BFGS from ``init`` (1, 3, H, W) in [0, 1].

    steps: loss-and-gradient evaluations (VGG forward + backward passes, so the time is ``steps`` times the
    time of one). The strong Wolfe line search keeps it stable: without one, the curvature estimated from
    the tiny first step (lr / |g|_1) sent a 128 px image to a loss of 1e22. on_step: called after each
    evaluation with the unweighted terms and the total as floats. Returns the best image seen, (1, 3, H, W)
    in [0, 1] (clamped; the pixels are free during the optimisation)."""
    x = init.detach().float().clone(memory_format=torch.contiguous_format).requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1.0, max_iter=steps, max_eval=steps, history_size=HISTORY,
                            tolerance_grad=0.0, tolerance_change=0.0, line_search_fn="strong_wolfe")
    best = {"loss": float("inf"), "x": init.detach().clone()}

    def closure() -> torch.Tensor:
        opt.zero_grad()
        terms = loss_fn(x)
        terms["total"].backward()
        values = {k: float(v.detach()) for k, v in terms.items()}
        if values["total"] < best["loss"]:
            best.update(loss=values["total"], x=x.detach().clone())
        if on_step:
            on_step(values)
        return terms["total"]

    opt.step(closure)
    return best["x"].clamp_(0, 1)


def stylize(content: torch.Tensor, style: torch.Tensor | list, init: torch.Tensor, steps: int = 300,
            weights: Weights = Weights(), padding: str = "reflect", preserve_color: str | None = None,
            on_step: Callable[[dict[str, float]], None] | None = None,
            dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Gatys et al. from ``init`` (a feed-forward result of the content's size): content (1, 3, H, W), style
    (1, 3, h, w) or a mix [(style, weight)], init (1, 3, H, W), all RGB in [0, 1] on one device -> (1, 3, H, W)
    in [0, 1] there.

    padding: the VGG's, "reflect" (default, as in ``adain``'s encoder) or "zeros" (as in the metrics).
    preserve_color: None, "luma" (the result's luminance with the content's chroma) or "match" (each style's
    colours matched to the content's before its Gram matrices), as ``vidstyle.models.colour``. dtype: the
    VGG's autocast precision (torch.bfloat16 or torch.float32)."""
    if init.shape != content.shape:
        raise ValueError(f"init {tuple(init.shape)} must have the content's shape {tuple(content.shape)}")
    mix = [(style, 1.0)] if isinstance(style, torch.Tensor) else style
    if preserve_color == "match":
        mix = [(colour.match_colours(s, content), w) for s, w in mix]
    vgg = VGG19Encoder(last="relu5_1", padding=padding).to(content.device, memory_format=torch.channels_last)
    out = optimize(GatysLoss(vgg, content, mix, weights, dtype=dtype), init, steps, on_step)
    return colour.keep_chroma(out, content).clamp_(0, 1) if preserve_color == "luma" else out


def progress_printer(progress: Progress) -> Callable[[dict[str, float]], None]:
    """An ``on_step`` callback that advances ``progress`` by one step with the loss terms and seconds per step."""
    last = [time.monotonic()]

    def on_step(values: dict[str, float]) -> None:
        now = time.monotonic()
        progress.update(1, loss=values["total"], style=values["style"], content=values["content"],
                        **{"s/step": now - last[0]})
        last[0] = now
    return on_step


def stylize_image(content: np.ndarray, style: np.ndarray | list, init: np.ndarray, steps: int = 300,
                  device: str | torch.device = "cpu", preserve_color: str | None = None,
                  progress: Progress | None = None, weights: Weights = Weights(),
                  dtype: torch.dtype = torch.float32) -> np.ndarray:
    """``stylize`` for RGB uint8 images: content and init (H, W, 3), style (h, w, 3) or a mix [(style, weight)]
    -> (H, W, 3) uint8. ``progress``: advanced once per step (see ``progress_printer``); dtype: as ``stylize``."""
    on_step = progress_printer(progress) if progress is not None else None
    mix = [(style, 1.0)] if isinstance(style, np.ndarray) else style
    mix = [(to_tensor(s).to(device), w) for s, w in mix]
    x, x0 = (to_tensor(a).to(device) for a in (content, init))
    return to_uint8(stylize(x, mix, x0, steps, weights, preserve_color=preserve_color, on_step=on_step,
                            dtype=dtype))[0]


