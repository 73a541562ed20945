"""Colour preservation (Gatys et al., Preserving Color in Neural Artistic Style Transfer, 2016), as tensor code
on the frames' device.

- ``keep_chroma`` (``luma``): the stylized image's luminance with the content's chroma, in full-range BT.601
  YCbCr (the JPEG colour space: linear, so it is cheap on any device).
- ``match_colours`` (``match``): the style image's pixels moved by an affine map so that their RGB mean and
  covariance equal the content's, done once per style before it is encoded.

All images: float RGB (N, 3, H, W) in [0, 1].
"""
from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

MODES = ("luma", "match")
# BT.601 full range (JPEG): rows give Y, Cb, Cr from R, G, B; Cb and Cr are centred on 0 here
_YCBCR = ((0.299, 0.587, 0.114), (-0.168736, -0.331264, 0.5), (0.5, -0.418688, -0.081312))
MIN_VARIANCE = 1e-4  # floor of the covariance eigenvalues (a std of 2.5/255): flat or grey styles stay finite


@functools.lru_cache(maxsize=8)
def _matrix(device: torch.device) -> torch.Tensor:
    """RGB -> YCbCr, fp32 (3, 3) on ``device``, made once per device."""
    return torch.tensor(_YCBCR, dtype=torch.float32, device=device)


def rgb_to_ycbcr(x: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) RGB in [0, 1] -> (N, 3, H, W) Y in [0, 1], Cb and Cr in [-0.5, 0.5]; fp32."""
    return torch.einsum("ij,njhw->nihw", _matrix(x.device), x.float())


def keep_chroma(stylized: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) stylized and content RGB in [0, 1] (content at any size: resized bilinearly) -> RGB fp32 in
    [0, 1] with the stylized luminance and exactly the content's Cb, Cr. A pixel with the content's chroma is
    the content pixel plus the same d in all three channels (d = the luminance change), so the result is
    content + (Y_stylized - Y_content). Where that would leave the RGB gamut (a dark stroke over a saturated
    green) the luminance, not the colour, gives way: d is clamped to [-min(content), 1 - max(content)]."""
    content = content.float()
    if content.shape[-2:] != stylized.shape[-2:]:
        content = F.interpolate(content, size=stylized.shape[-2:], mode="bilinear", align_corners=False,
                                antialias=content.shape[-2] > stylized.shape[-2])
    luma = _matrix(content.device)[0].view(1, 3, 1, 1)
    d = ((stylized.float() - content) * luma).sum(1, keepdim=True)
    d = torch.clamp(d, min=-content.amin(1, keepdim=True), max=1 - content.amax(1, keepdim=True))
    return (content + d).clamp_(0, 1)


def colour_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(1, 3, H, W) or (3, H, W) RGB -> (mean (3,), covariance (3, 3)) of its pixels, fp32."""
    px = x.reshape(3, -1).float()
    mean = px.mean(1)
    d = px - mean[:, None]
    return mean, d @ d.T / max(1, px.shape[1] - 1)


def _sqrtm(cov: torch.Tensor, power: float) -> torch.Tensor:
    """cov ** power for a symmetric (3, 3) matrix, eigenvalues floored at MIN_VARIANCE."""
    vals, vecs = torch.linalg.eigh(cov.double().cpu())  # 3x3: the CPU, not a GPU solver
    return (vecs * vals.clamp(min=MIN_VARIANCE).pow(power)) @ vecs.T


def match_colours(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """(1, 3, Hs, Ws) style and (1, 3, Hc, Wc) content RGB in [0, 1] -> the style, fp32 (1, 3, Hs, Ws) in
    [0, 1], with the content's colour mean and covariance: x' = C_c^1/2 C_s^-1/2 (x - mu_s) + mu_c, the
    symmetric ("image analogies") square roots of the covariances (rotation-free, unlike Cholesky)."""
    mu_s, cov_s = colour_stats(style)
    mu_c, cov_c = colour_stats(content)
    a = (_sqrtm(cov_c, 0.5) @ _sqrtm(cov_s, -0.5)).float().to(style.device)
    px = style.reshape(3, -1).float()
    out = a @ (px - mu_s[:, None]) + mu_c[:, None]
    return out.reshape(style.shape).clamp_(0, 1)
