"""Style-transfer losses through the frozen VGG19, balanced per layer.

With the Caffe VGG19 the deep layers' activations are far larger than the shallow ones', so a plain sum
of per-layer losses is ruled by relu4_1 and colours wash out. Each term is therefore divided by a running
mean of its *identity* value (the same loss with output = content), which is what the relative style score
of DESIGN.md section 4 measures: every layer starts near 1 and counts equally.
"""
from __future__ import annotations

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
