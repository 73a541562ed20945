"""fast_neural_style checkpoints for tests, written exactly as pytorch/examples saves them, and Johnson's
network written out with functional ops as the reference they must compute."""
from __future__ import annotations

import torch
import torch.nn.functional as F

NORMS = ["in1", "in2", "in3", "in4", "in5"] + [f"res{i}.in{j}" for i in range(1, 6) for j in (1, 2)]


def example_layout() -> dict[str, tuple[int, ...]]:
    """Key -> shape of the example's TransformerNet state dict, written out from its transformer_net.py."""
    convs = {"conv1": (32, 3, 9), "conv2": (64, 32, 3), "conv3": (128, 64, 3), "deconv1": (64, 128, 3),
             "deconv2": (32, 64, 3), "deconv3": (3, 32, 9)}
    convs |= {f"res{i}.conv{j}": (128, 128, 3) for i in range(1, 6) for j in (1, 2)}
    widths = {"in1": 32, "in2": 64, "in3": 128, "in4": 64, "in5": 32} | {n: 128 for n in NORMS[5:]}
    layout = {}
    for name, (cout, cin, k) in convs.items():
        layout[f"{name}.conv2d.weight"], layout[f"{name}.conv2d.bias"] = (cout, cin, k, k), (cout,)
    for name, c in widths.items():
        layout[f"{name}.weight"] = layout[f"{name}.bias"] = (c,)
    return layout


def example_checkpoint(path: str, old_stats: bool = True) -> dict[str, torch.Tensor]:
    """Write a checkpoint as the example's saved models are: a plain state dict in the legacy (pre-zip)
    torch.save format, with the InstanceNorm running_mean/running_var that PyTorch 0.3 stored. Random weights,
    scaled so that the output spans a good part of 0-255."""
    g = torch.Generator().manual_seed(1)
    sd = {k: torch.randn(shape, generator=g) * (0.6 if k.startswith("deconv3") else 0.05)
          for k, shape in example_layout().items()}
    sd["deconv3.conv2d.bias"] = torch.full((3,), 128.0)
    for n in NORMS:
        sd[f"{n}.weight"] = 1 + sd[f"{n}.weight"]
    if old_stats:
        for n in NORMS:
            c = example_layout()[f"{n}.weight"][0]
            sd[f"{n}.running_mean"], sd[f"{n}.running_var"] = torch.zeros(c), torch.ones(c)
    torch.save(sd, path, _use_new_zipfile_serialization=False)
    return sd


def reference(sd: dict, x255: torch.Tensor) -> torch.Tensor:
    """Johnson's network written out with functional ops from the state dict: RGB 0-255 in and out."""
    def conv(x, name, stride=1, up=False):
        w = sd[f"{name}.conv2d.weight"]
        x = F.interpolate(x, scale_factor=2, mode="nearest") if up else x
        return F.conv2d(F.pad(x, [w.shape[-1] // 2] * 4, mode="reflect"), w, sd[f"{name}.conv2d.bias"], stride)

    def norm(x, name):
        return F.instance_norm(x, weight=sd[f"{name}.weight"], bias=sd[f"{name}.bias"], eps=1e-5)

    y = F.relu(norm(conv(x255, "conv1"), "in1"))
    y = F.relu(norm(conv(y, "conv2", 2), "in2"))
    y = F.relu(norm(conv(y, "conv3", 2), "in3"))
    for i in range(1, 6):
        r = f"res{i}"
        y = y + norm(conv(F.relu(norm(conv(y, f"{r}.conv1"), f"{r}.in1")), f"{r}.conv2"), f"{r}.in2")
    y = F.relu(norm(conv(y, "deconv1", up=True), "in4"))
    y = F.relu(norm(conv(y, "deconv2", up=True), "in5"))
    return conv(y, "deconv3")
