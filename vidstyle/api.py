"""The Python API, the one object users import: ``vidstyle.Stylizer(style=...)(frames)``.

Frames are a uint8 numpy batch (N, H, W, 3) RGB (or one (H, W, 3) image), or a float tensor (N, 3, H, W)
in [0, 1]; the output has the same type and size. The style is encoded once and cached.

May import: ``vidstyle.models``, ``vidstyle.runtime``, ``vidstyle.media.images``, ``vidstyle.styles``.
"""
from __future__ import annotations

import hashlib
import inspect
import logging
import os

import numpy as np
import torch
import torch.nn.functional as F

from .errors import VidstyleError
from .media.images import load_image
from .models import registry
from .models.stats import StatsEMA
from .runtime.device import configure_threads, resolve_device, resolve_precision
from .runtime.memory import RESERVE, available_bytes
from .runtime.tensors import pad_to_multiple, resize_short
from .runtime.transfer import FrameIO
from .styles import StyleCache, default_style, image_key

log = logging.getLogger("vidstyle")
STYLE_SHORT_SIDE = 512
CPU_BATCH, CUDA_BATCH = 4, 8  # default frames per call


def default_model_name(device: torch.device) -> str:
    """``fast`` on CPU when it is registered with trained weights that are not a draft, ``adain`` otherwise."""
    fast = registry.MODELS.get("fast")
    usable = fast and os.path.exists(fast.weights_path) and not fast.draft
    return "fast" if device.type == "cpu" and usable else "adain"


def _file_digest(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()[:10]


def _scaled(h: int, w: int, short: int) -> tuple[int, int]:
    s = short / min(h, w)
    return max(1, round(h * s)), max(1, round(w * s))


class StyleCode(tuple):
    """An encoded style: the tensors the network's forward takes, plus ``net``, the network they belong to
    ('' for the model's own, else the id of a per-style network)."""

    def __new__(cls, tensors, net: str = ""):
        code = super().__new__(cls, tensors)
        code.net = net
        return code


class Stylizer:
    """Style transfer with one network and a current style.

    style: image path, RGB uint8 array or PIL image (default: the bundled Starry Night).
    model: a registry name or 'auto'; device: 'auto', 'cpu', 'cuda'; precision: 'auto', 'fp32', 'fp16', 'bf16'.
    strength: style strength alpha in [0, 1]; size: processing short side in pixels (None = the input's).
    temporal_stats: EMA weight in [0, 1) of the content statistics across consecutive calls (video; 0 = off),
    for models that normalize content features (``reset_temporal()`` between clips; ``smooth_stats``
    switches it off and on). compile: run the network through ``torch.compile`` (the first frames of each
    size take a while).
    """

    def __init__(self, style=None, model: str = "auto", device: str = "auto", precision: str = "auto",
                 strength: float = 1.0, size: int | None = None, disk_cache: bool = True,
                 temporal_stats: float = 0.0, compile: bool = False):
        self.device = resolve_device(device)
        self.dtype = resolve_precision(precision, self.device)
        self.half_weights = self.device.type == "cuda" and self.dtype != torch.float32
        if self.device.type == "cpu":
            configure_threads()
        else:
            torch.backends.cudnn.benchmark = True
        self.model_name = default_model_name(self.device) if model == "auto" else model
        try:
            spec = registry.get(self.model_name)
        except KeyError as e:
            raise VidstyleError(e.args[0]) from None
        net, self.trained = spec.load()
        if spec.draft:
            log.warning("model '%s' has draft weights (still in training, below the quality bar)", self.model_name)
        if not self.trained:
            log.warning("model '%s' is untrained: no weights are shipped at %s, so its output will not look like "
                        "the style", self.model_name, spec.weights_path)
        self.spec, self.net = spec, self._prepare(net)
        if compile:  # fixed shapes: one graph per frame size (CUDA graphs on CUDA); off by default until measured
            self.net = torch.compile(self.net, dynamic=False, mode="reduce-overhead" if self.device.type == "cuda"
                                     else None)
        self.io, self._halved = FrameIO(self.device), False
        self.nets = {"": self.net}  # per-style networks join on first use
        self.style_nets = registry.style_networks(spec.name) if self.trained else {}
        self.stride = getattr(net, "stride", 1)
        takes_filter = "stats_filter" in inspect.signature(net.forward).parameters
        self.stats_ema = StatsEMA(temporal_stats) if temporal_stats and takes_filter else None
        self.smooth_stats = self.stats_ema is not None
        key = _file_digest(spec.weights_path) if self.trained else "untrained"
        precision = str(self.dtype).removeprefix("torch.")
        self.cache = StyleCache(f"{spec.name}-{key}-{precision}", disk=disk_cache and self.trained)
        self.size = size
        self.strength = strength
        self.style_name = ""
        self.style_code = None
        self.set_style(style)

    @property
    def strength(self) -> float:
        return self._strength

    @strength.setter
    def strength(self, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise VidstyleError(f"style strength must be between 0 and 1, got {value}")
        self._strength = float(value)

    def _prepare(self, net: torch.nn.Module) -> torch.nn.Module:
        """On the device, channels-last, in eval mode; on CUDA in half precision the weights themselves are
        converted once (autocast would re-cast them on every call)."""
        net = net.to(self.device, memory_format=torch.channels_last).eval()
        return net.to(self.dtype) if self.half_weights else net

    def network(self, rgb_key: str) -> tuple[str, torch.nn.Module]:
        """(id, network) for a style image's content key: its per-style network when one exists (id = file
        name and digest), else the model's own (id '')."""
        path = self.style_nets.get(rgb_key)
        if path is None:
            return "", self.net
        net_id = f"{os.path.splitext(os.path.basename(path))[0]}-{_file_digest(path)}"
        if net_id not in self.nets:
            self.nets[net_id] = self._prepare(self.spec.load(path)[0])
            log.info("per-style network %s for this style", path)
        return net_id, self.nets[net_id]

    def network_for(self, code=None) -> torch.nn.Module:
        """The network that runs ``code`` (default: the current style's)."""
        code = self.style_code if code is None else code
        return self.nets.get(getattr(code, "net", ""), self.net)

    def memory_fit(self, h: int, w: int, batch: int = 1, extra: int = 0) -> tuple[int, int, int]:
        """For frames of (h, w) in batches of ``batch``, plus ``extra`` bytes held elsewhere: (bytes needed,
        bytes free on the device, the largest processing short side that fits)."""
        ph, pw = (h, w) if not self.size else _scaled(h, w, self.size)
        per_pixel = self.spec.bytes_per_pixel * batch
        need = per_pixel * ph * pw + extra
        free = available_bytes(self.device) - RESERVE
        aspect = max(ph, pw) / min(ph, pw)
        short = int(max(0.0, (free - extra) / (per_pixel * aspect)) ** 0.5) // 8 * 8
        return need, free, short

    @property
    def model_label(self) -> str:
        """The model's name, marked when the current style has its own network."""
        return self.model_name + (" (per-style network)" if getattr(self.style_code, "net", "") else "")

    def _autocast(self):
        """bf16 autocast on a CPU; nothing where the weights are already in the run's precision."""
        enabled = self.dtype != torch.float32 and not self.half_weights
        return torch.autocast(self.device.type, dtype=self.dtype, enabled=enabled)

    def _input(self, x: torch.Tensor) -> torch.Tensor:
        """A float batch in the dtype the network takes: the weights' dtype, or fp32 under autocast."""
        return x.to(self.dtype) if self.half_weights else x

    def encode_style(self, style=None):
        """Style image (path, array or PIL image; None = default) -> (name, style code), cached."""
        if style is None or isinstance(style, (str, os.PathLike)):
            path = str(style) if style is not None else default_style()
            rgb, name = load_image(path), os.path.basename(path)
        else:
            rgb, name = np.asarray(style.convert("RGB") if hasattr(style, "convert") else style), "array"
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise VidstyleError(f"style must be an RGB uint8 image (H, W, 3), got {rgb.dtype} {rgb.shape}")
        rgb_key = image_key(rgb)
        net_id, net = self.network(rgb_key)
        key = f"{rgb_key}-{STYLE_SHORT_SIDE}" + (f"-{net_id}" if net_id else "")
        code = self.cache.get(key)
        if code is None:
            x = torch.from_numpy(np.array(rgb)).permute(2, 0, 1)[None].float().div(255)
            x = resize_short(x, STYLE_SHORT_SIDE).to(self.device)
            with torch.no_grad(), self._autocast():
                code = tuple(t.float().cpu() for t in net.encode_style(self._input(pad_to_multiple(x, self.stride)[0])))
            self.cache.put(key, code)
        return name, StyleCode((t.to(self.device) for t in code), net_id)

    def set_style(self, style=None) -> None:
        self.style_name, self.style_code = self.encode_style(style)

    def reset_temporal(self) -> None:
        """Forget the content statistics of earlier frames (a new clip)."""
        if self.stats_ema is not None:
            self.stats_ema.reset()

    def stylize_tensor(self, x: torch.Tensor, out_hw: tuple[int, int] | None = None) -> torch.Tensor:
        """(N, 3, H, W) float in [0, 1] on any device -> (N, 3, H', W') float in [0, 1] on self.device,
        where (H', W') is ``out_hw`` or (H, W)."""
        with torch.no_grad():
            return self._stylize(x, out_hw).clone()  # an ordinary tensor, not an inference-mode one

    @torch.inference_mode()
    def _stylize(self, x: torch.Tensor, out_hw: tuple[int, int] | None = None) -> torch.Tensor:
        x = x.to(self.device, non_blocking=True)
        out_hw = out_hw or tuple(x.shape[-2:])
        if self.size:
            x = resize_short(x, self.size)
        x, hw = pad_to_multiple(x, self.stride)
        with self._autocast():
            x = self._input(x).contiguous(memory_format=torch.channels_last)
            net = self.network_for()
            if self.stats_ema is not None and self.smooth_stats:
                y = net(x, self.style_code, alpha=self.strength, stats_filter=self.stats_ema)
            else:
                y = net(x, self.style_code, alpha=self.strength)
        y = y[..., : hw[0], : hw[1]].float()
        if tuple(y.shape[-2:]) != tuple(out_hw):
            y = F.interpolate(y, size=out_hw, mode="bilinear", align_corners=False,
                              antialias=out_hw[0] < y.shape[-2])
        return y.clamp_(0, 1)

    @property
    def default_batch(self) -> int:
        """Frames per model call when the user does not say: larger on a GPU, whose throughput needs them."""
        return CUDA_BATCH if self.device.type == "cuda" else CPU_BATCH

    def submit(self, frames: np.ndarray, out_hw: tuple[int, int] | None = None, pad_to: int | None = None):
        """Start stylizing uint8 frames (N, H, W, 3); returns an object whose ``result()`` is the uint8
        (N, H', W', 3) output. On CUDA the call returns once the work is queued, so the caller can prepare
        the next batch while this one computes and downloads; ``pad_to`` pads a short batch (with its last
        frame) so that every call has the same shape (cuDNN tunes once per shape)."""
        n = frames.shape[0]
        if pad_to and self.device.type == "cuda" and n < pad_to:
            frames = np.concatenate([frames, np.repeat(frames[-1:], pad_to - n, 0)])
        y = self._stylize_fitting(self.io.upload(frames), out_hw)
        return self.io.download(y[:n])

    def _stylize_fitting(self, x: torch.Tensor, out_hw) -> torch.Tensor:
        """``_stylize``, halving the batch on running out of GPU memory (said once)."""
        try:
            return self._stylize(x, out_hw)
        except torch.OutOfMemoryError:
            n = x.shape[0]
            if n == 1:
                raise VidstyleError(f"out of GPU memory for one {x.shape[-1]}x{x.shape[-2]} frame with model "
                                    f"{self.model_name}: process it smaller (--size)") from None
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            if not self._halved:
                log.warning("out of GPU memory at batch %d: going on with smaller batches", n)
                self._halved = True
            return torch.cat([self._stylize_fitting(part, out_hw) for part in x.split((n + 1) // 2)])

    def __call__(self, frames, out_hw: tuple[int, int] | None = None):
        """uint8 (N, H, W, 3) or one (H, W, 3) frame -> the same type at ``out_hw`` (default the input's size);
        float (N, 3, H, W) tensors in [0, 1] -> float tensors."""
        if isinstance(frames, torch.Tensor):
            return self.stylize_tensor(frames, out_hw)
        arr = np.asarray(frames)
        single = arr.ndim == 3
        if single:
            arr = arr[None]
        if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8:
            raise VidstyleError(f"frames must be uint8 (N, H, W, 3), got {arr.dtype} {arr.shape}")
        out = self.submit(arr, out_hw).result()
        return out[0] if single else out
