"""Optimisation-quality stills: Gatys et al. 2016 ("Image Style Transfer Using Convolutional Neural Networks"),
the image itself optimised with L-BFGS through the frozen VGG19, started from a feed-forward result.

Loss = content_weight * content + style_weight * style + tv_weight * tv, with
- content: MSE of relu4_2 features, output vs content image;
- style: sum over relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 of MSE(Gram(output), Gram(style)), where
  Gram(F) = F F^T / (C H W) for features F of shape (C, H*W): the mean over positions of the channel products,
  divided by C as well;
- tv: mean squared difference of neighbouring pixels (RGB in [0, 1]), which keeps pixel noise down.

Normalisation, and the weights: 1e5 / 1e10 are the weights of pytorch/examples ``fast_neural_style``, whose
loss is exactly the one above (Gram / (C H W), both terms means, not sums) on a VGG fed ImageNet-normalised
inputs of order 1. This VGG19 takes Caffe inputs in 0-255, so its features are about 255 times larger (the
network is nearly linear in its input's scale); every feature is therefore divided by ``FEATURE_SCALE`` = 255
before the losses (raw Caffe features would scale the style term up 255^2 times more than the content term).
With that, 1e5 / 1e10 are balanced in the plain sense: on a hold-out pair at 256 px, started from ``adain``'s
result, the weighted content term is 5.5e5, the style term 2.8e5 and the TV term 4.5e3 (under 1 %, "small").
But the start is already stylised, so a balanced loss spends its steps buying content back: on 3 hold-out
pairs at 160 px, 60 steps at 1e10 raised SSIM by 0.045 and made the relative style score 29 % worse than
``adain``'s. The default style weight is therefore 1e11 (10x), which moves the other way (README "Optimised
stills"); ``Weights(style=1e10)`` / ``--style-weight 1e10`` gives the reference balance.

What this normalisation does not balance is the layers: the Caffe VGG's deep activations are far larger, so
relu4_1 dominates the style term and relu5_1 hardly counts (Gatys et al. used a VGG rescaled to mean
activation 1 per filter; this one is not). README "Optimised stills" shows what that costs in the metrics.

Images are float tensors (1, 3, H, W), RGB in [0, 1]. Always fp32: L-BFGS builds its curvature model from
gradient differences and line-searches on loss values, which bf16 rounding would blur. bf16 autocast of the
VGG would be 1.4x faster (683x512 forward + backward, 2 threads, 2-core AVX-512 Xeon, interleaved: fp32
4.0-6.1 s, bf16 2.8-3.5 s), but whether L-BFGS stays stable with it is not measured yet.

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
FEATURE_SCALE = 255.0  # Caffe VGG features (0-255 inputs) -> the scale of a VGG fed order-1 inputs
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
    style: float = 1e11  # 1e10 is the textbook balance, which undoes a stylised start (module docstring)
    tv: float = 1e6


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
    weighted total and the three unweighted terms, fp32 scalars."""

    def __init__(self, vgg: VGG19Encoder, content: torch.Tensor, style: torch.Tensor | list,
                 weights: Weights = Weights(), style_short_side: int = STYLE_SHORT_SIDE):
        super().__init__()
        self.vgg, self.weights = vgg, weights
        mix = [(style, 1.0)] if isinstance(style, torch.Tensor) else style
        with torch.no_grad():
            self.content_target = vgg(content, (CONTENT_TAP,))[CONTENT_TAP].float() / FEATURE_SCALE
            self.style_targets = {t: 0.0 for t in STYLE_TAPS}
            for image, w in mix:
                feats = vgg(resize_short(image, style_short_side).clamp(0, 1), STYLE_TAPS)
                self.style_targets = {t: g + w * gram(feats[t] / FEATURE_SCALE) for t, g in self.style_targets.items()}

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        feats = {t: f.float() / FEATURE_SCALE for t, f in self.vgg(x, (*STYLE_TAPS, CONTENT_TAP)).items()}
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
            on_step: Callable[[dict[str, float]], None] | None = None) -> torch.Tensor:
    """Gatys et al. from ``init`` (a feed-forward result of the content's size): content (1, 3, H, W), style
    (1, 3, h, w) or a mix [(style, weight)], init (1, 3, H, W), all RGB in [0, 1] on one device -> (1, 3, H, W)
    in [0, 1] there.

    padding: the VGG's, "reflect" (default, as in ``adain``'s encoder) or "zeros" (as in the metrics).
    preserve_color: None, "luma" (the result's luminance with the content's chroma) or "match" (each style's
    colours matched to the content's before its Gram matrices), as ``vidstyle.models.colour``."""
    if init.shape != content.shape:
        raise ValueError(f"init {tuple(init.shape)} must have the content's shape {tuple(content.shape)}")
    mix = [(style, 1.0)] if isinstance(style, torch.Tensor) else style
    if preserve_color == "match":
        mix = [(colour.match_colours(s, content), w) for s, w in mix]
    vgg = VGG19Encoder(last="relu5_1", padding=padding).to(content.device)
    out = optimize(GatysLoss(vgg, content, mix, weights), init, steps, on_step)
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
                  progress: Progress | None = None, weights: Weights = Weights()) -> np.ndarray:
    """``stylize`` for RGB uint8 images: content and init (H, W, 3), style (h, w, 3) or a mix [(style, weight)]
    -> (H, W, 3) uint8. ``progress``: advanced once per step (see ``progress_printer``)."""
    on_step = progress_printer(progress) if progress is not None else None
    mix = [(style, 1.0)] if isinstance(style, np.ndarray) else style
    mix = [(to_tensor(s).to(device), w) for s, w in mix]
    x, x0 = (to_tensor(a).to(device) for a in (content, init))
    return to_uint8(stylize(x, mix, x0, steps, weights, preserve_color=preserve_color, on_step=on_step))[0]


