"""Preview grids: one row per sample, content | style | output."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """(3, H, W) float in [0, 1] -> (H, W, 3) uint8."""
    return (x.detach().float().clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).cpu().numpy()


def save_grid(path: str, *columns: torch.Tensor) -> None:
    """Each column is (N, 3, H, W) in [0, 1]; columns are resized to the first one's (H, W); writes an N-row
    PNG."""
    hw = columns[0].shape[-2:]
    columns = tuple(c if c.shape[-2:] == hw else F.interpolate(c.detach().float(), size=tuple(hw), mode="bilinear",
                                                               align_corners=False) for c in columns)
    rows = [np.concatenate([to_uint8(col[i]) for col in columns], axis=1) for i in range(columns[0].shape[0])]
    Image.fromarray(np.concatenate(rows, axis=0)).save(path)
