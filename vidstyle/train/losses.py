"""Style-transfer losses through the frozen VGG19, balanced per layer.

With the Caffe VGG19 the deep layers' activations are far larger than the shallow ones', so a plain sum
of per-layer losses is ruled by relu4_1 and colours wash out. Each term is therefore divided by a running
mean of its *identity* value (the same loss with output = content), which is what the relative style score
of DESIGN.md section 4 measures: every layer starts near 1 and counts equally.

The stability loss (ReReVST, MCCNet) asks that a slightly warped and noised copy of the content give the
equally warped output, so small motion and sensor noise do not make the texture swim or flicker.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..models.vgg import mean_std

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")


def stats_loss(a: tuple[torch.Tensor, torch.Tensor], b: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """MSE(mean) + MSE(std) between two (N, C, 1, 1) statistics pairs -> scalar."""
    return F.mse_loss(a[0], b[0]) + F.mse_loss(a[1], b[1])


class RunningScale:
    """Running means (EMA) of the identity losses, used to normalize each loss term to about 1."""

    def __init__(self, decay: float = 0.99):
        self.decay = decay
        self.values: dict[str, float] = {}

    def update(self, name: str, value: float) -> float:
        old = self.values.get(name)
        self.values[name] = value if old is None else self.decay * old + (1 - self.decay) * value
        return self.values[name]

    def state_dict(self) -> dict:
        return {"decay": self.decay, "values": dict(self.values)}

    def load_state_dict(self, state: dict) -> None:
        self.decay, self.values = state["decay"], dict(state["values"])


def style_transfer_losses(out_feats: dict, content_feats: dict, style_stats: dict, target: torch.Tensor,
                          scale: RunningScale) -> tuple[torch.Tensor, torch.Tensor, dict[str, float]]:
    """Relative content and style losses.

    out_feats / content_feats: VGG taps of the output / content (N, C, h, w); style_stats: {tap: (mean, std)};
    target: the AdaIN relu4_1 target. Returns (content_loss, style_loss, log) where the style loss is the
    sum over STYLE_LAYERS of S_l(output) / running S_l(identity) and the content loss is
    MSE(relu4_1(output), target) / running MSE(relu4_1(content), target).
    """
    log = {}
    c_id = F.mse_loss(content_feats["relu4_1"].float(), target.float()).item()
    content = F.mse_loss(out_feats["relu4_1"].float(), target.float()) / scale.update("content", c_id)
    log["content"] = content.item()
    style = out_feats["relu1_1"].new_zeros((), dtype=torch.float32)
    for layer in STYLE_LAYERS:
        s_id = stats_loss(mean_std(content_feats[layer]), style_stats[layer]).item()
        term = stats_loss(mean_std(out_feats[layer]), style_stats[layer]) / scale.update(layer, s_id)
        log[layer] = term.item()
        style = style + term
    return content, style, log


def random_affine(n: int, rng: np.random.Generator, rotate: float = 2.0, zoom: float = 0.03,
                  shift: float = 0.03) -> torch.Tensor:
    """n small random affine warps as (n, 2, 3) ``affine_grid`` matrices: rotation up to ``rotate`` degrees,
    scale up to 1 +- ``zoom``, translation up to ``shift`` of the image size."""
    a = np.deg2rad(rng.uniform(-rotate, rotate, n))
    s = 1 + rng.uniform(-zoom, zoom, n)
    t = rng.uniform(-2 * shift, 2 * shift, (n, 2))  # affine_grid coordinates span [-1, 1]
    m = np.stack([np.stack([s * np.cos(a), -s * np.sin(a), t[:, 0]], 1),
                  np.stack([s * np.sin(a), s * np.cos(a), t[:, 1]], 1)], 1)
    return torch.from_numpy(m).float()


def warp(x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Resample (N, C, H, W) with the (N, 2, 3) affine matrices ``theta`` (bilinear, zeros outside)."""
    grid = F.affine_grid(theta.to(x.device, torch.float32), list(x.shape), align_corners=False)
    return F.grid_sample(x.float(), grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def stability_inputs(content: torch.Tensor, rng: np.random.Generator, sigma: float = 0.01):
    """A warped and noised copy of a (N, 3, H, W) content batch -> (copy, theta, valid) where theta are the
    warps and valid (N, 1, H, W) marks the pixels that came from inside the image."""
    theta = random_affine(content.shape[0], rng)
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    noise = torch.randn(content.shape, generator=gen).to(content.device)
    valid = (warp(torch.ones_like(content[:, :1]), theta) > 0.999).float()
    return warp(content, theta) + sigma * noise, theta, valid


def stability_loss(out_of_warped: torch.Tensor, out: torch.Tensor, theta: torch.Tensor,
                   valid: torch.Tensor) -> torch.Tensor:
    """L1 between the output for the warped input and the warped output, over the ``valid`` pixels."""
    diff = (out_of_warped.float() - warp(out, theta)).abs() * valid
    return diff.sum() / (3 * valid.sum()).clamp_min(1.0)
