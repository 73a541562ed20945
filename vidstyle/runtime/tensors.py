"""Frames as tensors: uint8 arrays <-> float tensors, resizing and stride padding."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """RGB uint8 (H, W, 3) or (N, H, W, 3) -> float (N, 3, H, W) in [0, 1]."""
    x = torch.from_numpy(np.require(rgb, requirements=["C", "W"]))
    x = x[None] if x.ndim == 3 else x
    return x.permute(0, 3, 1, 2).float().div_(255)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """Float (N, 3, H, W) in [0, 1] -> contiguous RGB uint8 (N, H, W, 3) on the CPU."""
    return x.clamp(0, 1).mul_(255).round_().to(torch.uint8).permute(0, 2, 3, 1).contiguous().cpu().numpy()


def resize_short(img: torch.Tensor, short: int) -> torch.Tensor:
    """(N, 3, H, W) float -> the same with the shorter side ``short`` (antialiased when shrinking)."""
    h, w = img.shape[-2:]
    s = short / min(h, w)
    if abs(s - 1) < 1e-6:
        return img
    size = (max(1, round(h * s)), max(1, round(w * s)))
    return F.interpolate(img, size=size, mode="bilinear", antialias=s < 1, align_corners=False)


def pad_to_multiple(x: torch.Tensor, m: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Reflect-pad (N, C, H, W) on the bottom/right to multiples of ``m``; returns the padded tensor and (H, W)."""
    h, w = x.shape[-2:]
    ph, pw = -h % m, -w % m
    if ph or pw:
        mode = "reflect" if ph < h and pw < w else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return x, (h, w)
