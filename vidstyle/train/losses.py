"""Style-transfer losses through the frozen VGG19, balanced per layer.

With the Caffe VGG19 the deep layers' activations are far larger than the shallow ones', so a plain sum
of per-layer losses is ruled by relu4_1 and colours wash out. Each term is therefore divided by a running
mean of its *identity* value (the same loss with output = content), which is what the relative style score
of docs/evaluation.md measures: every layer starts near 1 and counts equally.

The Gram loss (Gatys, Johnson; here on centred features) adds second-order statistics: channel
correlations are what tell strokes and swirls apart from a colour grade with noise. The sliced Wasserstein
loss (Heitz et al., CVPR 2021) matches the whole distribution of the features along random directions, not
only its first two moments: the shapes of strokes, which a Gram matrix averages away. The border loss asks
that the image edges keep the content's edge-to-interior colour profile, so the network paints no frame
around the picture (zero padding lets it know where the edge is). The stability loss (ReReVST, MCCNet)
asks that a slightly warped and noised copy of the content give the equally warped output, so small
motion and sensor noise do not make the texture swim or flicker.
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


def gram(feat: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) features -> (N, C, C) centred Gram (covariance) matrices, fp32. Centred, because the means
    are the mean/std loss's job and would otherwise dominate."""
    f = feat.float().flatten(2)
    f = f - f.mean(2, keepdim=True)
    return f @ f.transpose(1, 2) / f.shape[2]


def gram_losses(out_feats: dict, content_feats: dict, style_grams: dict, scale: RunningScale,
                layers: tuple[str, ...]) -> tuple[torch.Tensor, dict[str, float]]:
    """Sum over ``layers`` of MSE(Gram(output), Gram(style)) / running MSE(Gram(content), Gram(style)).

    style_grams: {tap: (N, C, C)} from ``gram`` of the style batch. Returns (loss, log)."""
    loss, log = out_feats[layers[0]].new_zeros((), dtype=torch.float32), {}
    for layer in layers:
        ident = F.mse_loss(gram(content_feats[layer]), style_grams[layer]).item()
        term = F.mse_loss(gram(out_feats[layer]), style_grams[layer]) / scale.update("gram_" + layer, ident)
        log["gram_" + layer] = term.item()
        loss = loss + term
    return loss, log


def _positions(feat: torch.Tensor, points: int, gen: torch.Generator) -> torch.Tensor:
    """(N, C, h, w) -> (N, hw, C) fp32, at most ``points`` random positions (the same for the batch)."""
    f = feat.float().flatten(2)
    if f.shape[2] > points:
        f = f[:, :, torch.randperm(f.shape[2], generator=gen)[:points].to(f.device)]
    return f.transpose(1, 2)


def sliced_wasserstein(feat: torch.Tensor, style: torch.Tensor, dirs: torch.Tensor, gen: torch.Generator,
                       points: int = 8192) -> torch.Tensor:
    """Mean squared distance between the sorted projections of (N, C, h, w) features and of (N|1, C, H, W)
    style features onto the unit columns of ``dirs`` (C, K), each on at most ``points`` random positions (a
    sample of the distribution: sorting every position of relu1_1 costs seconds per step on a CPU). The
    style's sorted values are resampled at the output's quantiles, so the sizes may differ. Zero when the
    feature distributions match."""
    a = (_positions(feat, points, gen) @ dirs).sort(1).values  # (N, n, K)
    b = (_positions(style, points, gen) @ dirs).sort(1).values  # (N|1, m, K)
    n, m = a.shape[1], b.shape[1]
    if m != n:
        b = b[:, ((torch.arange(n, device=b.device) + 0.5) * m / n).long().clamp_max(m - 1)]
    return F.mse_loss(a, b.expand_as(a))


def swd_losses(out_feats: dict, content_feats: dict, style_feats: dict, scale: RunningScale,
               layers: tuple[str, ...], gen: torch.Generator) -> tuple[torch.Tensor, dict[str, float]]:
    """Sum over ``layers`` of ``sliced_wasserstein`` (C random directions per layer, drawn from ``gen``) of
    the output against the style features, each divided by the running value for the content. Returns
    (loss, log)."""
    loss, log = out_feats[layers[0]].new_zeros((), dtype=torch.float32), {}
    for layer in layers:
        c = out_feats[layer].shape[1]
        dirs = F.normalize(torch.randn(c, c, generator=gen), dim=0).to(out_feats[layer].device)
        with torch.no_grad():
            ident = sliced_wasserstein(content_feats[layer], style_feats[layer], dirs, gen).item()
        term = sliced_wasserstein(out_feats[layer], style_feats[layer], dirs, gen) / scale.update("swd_" + layer, ident)
        log["swd_" + layer] = term.item()
        loss = loss + term
    return loss, log


def feature_distill_loss(out_feats: dict, teacher_feats: dict, content_feats: dict, scale: RunningScale,
                         layers: tuple[str, ...]) -> torch.Tensor:
    """Sum over ``layers`` of MSE(VGG(output), VGG(teacher output)) / running MSE(VGG(content), VGG(teacher)):
    the student learns where the teacher puts its strokes, not the average of its pixels."""
    loss = out_feats[layers[0]].new_zeros((), dtype=torch.float32)
    for layer in layers:
        goal = teacher_feats[layer].float()
        ident = F.mse_loss(content_feats[layer].float(), goal).item()
        loss = loss + F.mse_loss(out_feats[layer].float(), goal) / scale.update("distill_" + layer, ident)
    return loss


def edge_profiles(x: torch.Tensor, depth: int = 16, ref: tuple[int, int] = (16, 24)) -> torch.Tensor:
    """Per side, the mean colour of each of the ``depth`` outermost rows (columns) of (N, 3, H, W) images minus
    the mean colour of rows ``ref`` in: (N, 4, depth, 3), fp32. Zero for an image without edge effects."""
    x = x.float()
    sides = (x, x.flip(2), x.transpose(2, 3), x.transpose(2, 3).flip(2))  # top, bottom, left, right
    out = []
    for s in sides:
        rows = s.mean(3)  # (N, 3, H)
        out.append((rows[..., :depth] - rows[..., ref[0]:ref[1]].mean(2, keepdim=True)).transpose(1, 2))
    return torch.stack(out, 1)


def border_loss(out: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of the output's and the content's ``edge_profiles`` (RGB in [0, 1]): a frame
    painted around the picture (a bright band, a coloured line) raises it; the content's own vignette does not."""
    return (edge_profiles(out) - edge_profiles(content)).abs().mean()


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


def affine_warp(x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Resample (N, C, H, W) with the (N, 2, 3) affine matrices ``theta`` (bilinear, zeros outside)."""
    grid = F.affine_grid(theta.to(x.device, torch.float32), list(x.shape), align_corners=False)
    return F.grid_sample(x.float(), grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def stability_inputs(content: torch.Tensor, rng: np.random.Generator, sigma: float = 0.01):
    """A warped and noised copy of a (N, 3, H, W) content batch -> (copy, theta, valid) where theta are the
    warps and valid (N, 1, H, W) marks the pixels that came from inside the image."""
    theta = random_affine(content.shape[0], rng)
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    noise = torch.randn(content.shape, generator=gen).to(content.device)
    valid = (affine_warp(torch.ones_like(content[:, :1]), theta) > 0.999).float()
    return affine_warp(content, theta) + sigma * noise, theta, valid


def stability_loss(out_of_warped: torch.Tensor, out: torch.Tensor, theta: torch.Tensor,
                   valid: torch.Tensor) -> torch.Tensor:
    """L1 between the output for the warped input and the warped output, over the ``valid`` pixels."""
    diff = (out_of_warped.float() - affine_warp(out, theta)).abs() * valid
    return diff.sum() / (3 * valid.sum()).clamp_min(1.0)
