"""Model-side temporal smoothing: an EMA over time of the content feature statistics AdaIN normalizes with."""
from __future__ import annotations

import torch

BETA = 0.7  # weight of the past
CUT = 0.3  # a mean that moves by more than this fraction of its norm is a new shot: no smoothing


class StatsEMA:
    """Call with the (N, C, 1, 1) mean and std of N consecutive frames; returns the smoothed ones, so a frame's
    global colour and contrast cannot jump. Resets itself on a scene cut and on ``reset()``. Stays on the
    tensors' device: no host synchronization per frame."""

    def __init__(self, beta: float = BETA, cut: float = CUT):
        self.beta, self.cut = beta, cut
        self.state: tuple[torch.Tensor, torch.Tensor] | None = None

    def reset(self) -> None:
        self.state = None

    def __call__(self, mean: torch.Tensor, std: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out_m, out_s = [], []
        for m, s in zip(mean.split(1), std.split(1)):
            if self.state is not None and self.state[0].shape == m.shape:
                pm, ps = self.state
                same_shot = (m - pm).norm() <= self.cut * (pm.norm() + 1e-6)
                w = same_shot.to(m.dtype) * self.beta  # 0 after a cut, else beta
                m, s = torch.lerp(m, pm, w), torch.lerp(s, ps, w)
            self.state = (m, s)
            out_m.append(m)
            out_s.append(s)
        return torch.cat(out_m), torch.cat(out_s)
