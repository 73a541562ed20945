"""Johnson et al.'s per-style feed-forward network, loading pytorch/examples ``fast_neural_style`` checkpoints.

Layout and state-dict keys as in that project (``conv1.conv2d.weight``, ``in1.weight``,
``res1.conv1.conv2d.weight``, ..., ``deconv3.conv2d.bias``): 9x9 conv 3->32, 3x3 stride-2 convs to 64 and 128
channels, five residual blocks, two nearest-upsample-then-conv layers back to 32 channels, 9x9 conv to RGB;
reflection padding and affine instance norm throughout, 1.68M parameters. The network itself works on RGB in
0-255; ``forward`` here takes and gives [0, 1]. One network = one style: the style image is not used.
"""
from __future__ import annotations

import re
import zipfile

import torch
import torch.nn.functional as F
from torch import nn

NAME = "transformernet"
STRIDE = 4  # two stride-2 convs down, two 2x upsamplings back
BYTES_PER_PIXEL = 1200  # peak working memory per processed pixel and frame (measured: 970 on CPU, fp32)
EXTENSIONS = (".pth", ".pt", ".model")  # as the example's download (.pth) and its training (.model) name them
META = {
    "paper": "Johnson, Alahi & Fei-Fei, Perceptual Losses for Real-Time Style Transfer and Super-Resolution, "
             "ECCV 2016, with instance normalization (Ulyanov et al. 2016)",
    "weights": "a pytorch/examples fast_neural_style state dict given with --model FILE.pth (one style each)",
    "input": "RGB float (N, 3, H, W) in [0, 1], H and W multiples of 4 (the network itself runs on 0-255)",
    "per_style": True,
}
# InstanceNorm buffers that PyTorch <= 0.3 saved and later versions refuse (the example's loader drops them)
_OLD_NORM_STATS = re.compile(r"(^|\.)in\d+\.(running_mean|running_var|num_batches_tracked)$")


class ConvLayer(nn.Module):
    """Reflection padding of k//2, then a k x k conv: (N, cin, H, W) -> (N, cout, H/stride, W/stride)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1):
        super().__init__()
        self.pad = kernel // 2
        self.conv2d = nn.Conv2d(cin, cout, kernel, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2d(F.pad(x, (self.pad,) * 4, mode="reflect"))


class UpsampleConvLayer(ConvLayer):
    """Nearest-neighbour 2x upsampling, then a ConvLayer (no checkerboard, unlike a transposed conv)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class ResidualBlock(nn.Module):
    """x + IN(conv(relu(IN(conv(x))))), 3x3 convs, channels unchanged."""

    def __init__(self, ch: int):
        super().__init__()
        self.conv1, self.in1 = ConvLayer(ch, ch, 3), nn.InstanceNorm2d(ch, affine=True)
        self.conv2, self.in2 = ConvLayer(ch, ch, 3), nn.InstanceNorm2d(ch, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.in2(self.conv2(F.relu(self.in1(self.conv1(x)))))


class TransformerNet(nn.Module):
    """(N, 3, H, W) RGB in [0, 1], H and W multiples of 4 -> stylized (N, 3, H, W), unclamped."""

    stride = STRIDE

    def __init__(self):
        super().__init__()
        self.conv1, self.in1 = ConvLayer(3, 32, 9), nn.InstanceNorm2d(32, affine=True)
        self.conv2, self.in2 = ConvLayer(32, 64, 3, 2), nn.InstanceNorm2d(64, affine=True)
        self.conv3, self.in3 = ConvLayer(64, 128, 3, 2), nn.InstanceNorm2d(128, affine=True)
        self.res1, self.res2, self.res3, self.res4, self.res5 = (ResidualBlock(128) for _ in range(5))
        self.deconv1, self.in4 = UpsampleConvLayer(128, 64, 3), nn.InstanceNorm2d(64, affine=True)
        self.deconv2, self.in5 = UpsampleConvLayer(64, 32, 3), nn.InstanceNorm2d(32, affine=True)
        self.deconv3 = ConvLayer(32, 3, 9)

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        """The network as trained: RGB 0-255 in, RGB about 0-255 out."""
        y = F.relu(self.in1(self.conv1(x)))
        y = F.relu(self.in2(self.conv2(y)))
        y = F.relu(self.in3(self.conv3(y)))
        for block in (self.res1, self.res2, self.res3, self.res4, self.res5):
            y = block(y)
        y = F.relu(self.in4(self.deconv1(y)))
        y = F.relu(self.in5(self.deconv2(y)))
        return self.deconv3(y)

    def encode_style(self, style: torch.Tensor) -> tuple:
        """Nothing to encode: the style is in the weights (an empty code, so the Stylizer treats it alike)."""
        return ()

    def forward(self, x: torch.Tensor, code=(), alpha: float = 1.0) -> torch.Tensor:
        """[0, 1] in and out; ``code`` is ignored; ``alpha`` < 1 blends the output with the content."""
        y = self.transform(x * 255) / 255
        return y if alpha >= 1.0 else alpha * y + (1 - alpha) * x


def strip_old_norm_stats(state: dict) -> dict:
    """The state dict without the instance norms' running statistics that old PyTorch versions saved."""
    return {k: v for k, v in state.items() if not _OLD_NORM_STATS.search(k)}


def load_state(path: str) -> dict[str, torch.Tensor]:
    """A checkpoint file (a plain state dict, or a dict holding one under 'state_dict'/'model_state_dict') ->
    its tensors, old norm statistics stripped. ValueError naming the file when it is something else (a
    TorchScript program, such as ``vidstyle export`` writes, said as such)."""
    if is_torchscript(path):
        raise ValueError(f"{path} is a TorchScript program (as `vidstyle export` writes), not weights: --model takes "
                         "a model name, a .safetensors file written by `vidstyle train`, or a pytorch/examples "
                         "fast_neural_style state dict (.pth); run TorchScript files with torch.jit.load")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - pickle, zip and I/O errors alike: not a checkpoint we can read
        raise ValueError(f"{path}: not a readable PyTorch checkpoint ({str(e).splitlines()[0][:100]})") from None
    if isinstance(state, dict):
        state = state.get("state_dict", state.get("model_state_dict", state))
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path}: not a state dict of tensors")
    return strip_old_norm_stats(state)


def is_torchscript(path: str) -> bool:
    """Whether ``path`` is a TorchScript archive (a zip holding the program's code and constants)."""
    try:
        with zipfile.ZipFile(path) as z:
            return any(n.endswith("/constants.pkl") or "/code/" in n for n in z.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def build(weights: dict[str, torch.Tensor] | None = None) -> TransformerNet:
    """The network, with ``weights`` (a fast_neural_style state dict, any float dtype) when given; ValueError
    listing the first missing/unexpected keys or a shape mismatch when they are not that network's."""
    model = TransformerNet()
    if weights is not None:
        weights = strip_old_norm_stats(weights)
        own = model.state_dict()
        missing, extra = sorted(own.keys() - weights.keys()), sorted(weights.keys() - own.keys())
        bad = [k for k in own.keys() & weights.keys() if own[k].shape != weights[k].shape]
        if missing or extra or bad:
            raise ValueError("not a fast_neural_style TransformerNet state dict: " + "; ".join(
                f"{what} {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}"
                for what, keys in (("missing", missing), ("unexpected", extra), ("wrong shape", bad)) if keys))
        model.load_state_dict({k: v.float() for k, v in weights.items()})
    return model
