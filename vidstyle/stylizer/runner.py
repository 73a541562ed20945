"""The model runner: one style network on one device, shared by every stream of a process.

Frames are uint8 numpy batches (N, H, W, 3) RGB or float tensors (N, 3, H, W) in [0, 1]; each call takes the
stream's ``StreamState``. Style codes are encoded once and cached (memory and disk); a lock makes the runner
safe to share between threads (one call at a time).
"""
from __future__ import annotations

import hashlib
import inspect
import logging
import os
import threading

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..errors import VidstyleError
from ..media.images import load_image, to_rgb
from ..models import registry
from ..models.colour import keep_chroma, match_colours
from ..models.stats import StatsEMA
from ..runtime.device import configure_threads, resolve_device, resolve_precision
from ..runtime.memory import RESERVE, available_bytes
from ..runtime.tensors import pad_to_multiple, resize_short
from ..runtime.tiles import run_tiled, split
from ..runtime.transfer import FrameIO
from ..styles import StyleCache, default_style, image_key, mix_weights, style_file
from .codes import StyleCode, blend_codes
from .state import StreamState

log = logging.getLogger("vidstyle")
STYLE_SHORT_SIDE = 512
CPU_BATCH, CUDA_BATCH = 4, 8  # default frames per call
AUTO_TILE, MIN_TILE = 512, 64  # tile side when tile='auto' tiles; the smallest tile side
MIN_SIZE = 16  # the smallest processing short side worth suggesting


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


class ModelRunner:
    """One style network, ready to run.

    model: a registry name, a weights file or 'auto'; device: 'auto', 'cpu', 'cuda'; precision: 'auto', 'fp32',
    'fp16', 'bf16'. compile: run the network through ``torch.compile`` (the first frames of each size take a
    while). tile: for models that tile (adain), the side in pixels of the overlapping tiles large frames are
    stylized in with whole-frame statistics; 'auto' tiles (at 512) only frames that would not fit in free memory
    whole, 'off' or 0 never; tile_overlap: their overlap in pixels (None: the model's default). A per-style
    model (a fast_neural_style ``.pth``) ignores the style image.
    """

    def __init__(self, model: str = "auto", device: str = "auto", precision: str = "auto", disk_cache: bool = True,
                 compile: bool = False, tile: int | str = "auto", tile_overlap: int | None = None):
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
            net, self.trained = spec.load()
        except (KeyError, ValueError) as e:  # ValueError: a checkpoint file that is not the model's
            raise VidstyleError(e.args[0]) from None
        self.per_style = bool(spec.meta.get("per_style"))  # one network per style: the style image is not used
        if spec.draft:
            log.warning("model '%s' has draft weights (still in training, below the quality bar)", self.model_name)
        if not self.trained:
            log.warning("model '%s' is untrained: no weights are shipped at %s, so its output will not look like "
                        "the style", self.model_name, spec.weights_path)
        self.spec, self.net = spec, self._prepare(net)
        if compile:  # fixed shapes: one graph per frame size (CUDA graphs on CUDA); off by default until measured
            self.net = torch.compile(self.net, dynamic=False, mode="reduce-overhead" if self.device.type == "cuda"
                                     else None)
        self.lock = threading.RLock()  # one call at a time: inference, encoding, the caches and tile plans
        self.io, self._halved = FrameIO(self.device), False
        self.nets = {"": self.net}  # per-style networks join on first use
        self.style_nets = registry.style_networks(spec.name) if self.trained else {}
        self.stride = getattr(net, "stride", 1)
        self.takes_stats_filter = "stats_filter" in inspect.signature(net.forward).parameters
        key = _file_digest(spec.weights_path) if self.trained else "untrained"
        precision = str(self.dtype).removeprefix("torch.")
        self.cache = StyleCache(f"{spec.name}-{key}-{precision}", disk=disk_cache and self.trained)
        self.tile, self.tile_overlap = self._tiling(tile, tile_overlap)
        self._tile_plans: dict[tuple[int, int, int], int] = {}
        self._oom_tile = 0  # tile side forced by running out of GPU memory for one frame (0: none)
        self._mix_warned = False

    blend_codes = staticmethod(blend_codes)

    def new_state(self, style=None, strength: float = 1.0, preserve_color: str | None = None,
                  size: int | None = None, temporal_stats: float = 0.0, temporal=None) -> StreamState:
        """A stream's state with ``style`` (see ``style``) encoded. temporal_stats: EMA weight in [0, 1) of the
        content statistics across consecutive calls (0 = off; only for models that normalize content
        features); temporal: the stream's temporal stage (None: none)."""
        name, code = self.style(style)
        ema = StatsEMA(temporal_stats) if temporal_stats and self.takes_stats_filter else None
        return StreamState(name, code, strength, preserve_color, size, ema, temporal)

    def style(self, style=None) -> tuple[str, StyleCode]:
        """(name, code) to paint ``style`` with: an image (path, array, PIL image; None = the default), or a
        list of (style, weight) pairs (a mix); a per-style model's own style whatever is given."""
        if self.per_style:
            return os.path.splitext(self.spec.name)[0], self.encode_style(None)[1]
        return self.encode_style(style)

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
        with self.lock:
            if net_id not in self.nets:
                self.nets[net_id] = self._prepare(self.spec.load(path)[0])
                log.info("per-style network %s for this style", path)
        return net_id, self.nets[net_id]

    def network_for(self, code=None) -> torch.nn.Module:
        """The network that runs ``code`` (default: the model's own)."""
        return self.nets.get(getattr(code, "net", ""), self.net)

    def model_label(self, state: StreamState) -> str:
        """The model's name, marked when a per-style network paints the stream's style (the model is one, or the
        style has its own; with preserve_color 'match', the colour-matched style's network once one is made)."""
        code, matched = state.style_code, state.matched if state.preserve_color == "match" else None
        if matched is not None and matched[0] is code and matched[1] is not None:
            code = matched[1]
        own = self.per_style or getattr(code, "net", "")
        return self.model_name + (" (per-style network)" if own else "")

    @property
    def default_batch(self) -> int:
        """Frames per model call when the user does not say: larger on a GPU, whose throughput needs them."""
        return CUDA_BATCH if self.device.type == "cuda" else CPU_BATCH

    def memory_fit(self, h: int, w: int, batch: int = 1, extra: int = 0, size: int | None = None,
                   code=None) -> tuple[int, int, int]:
        """For frames of (h, w) processed at short side ``size`` (None: as they are) in batches of ``batch``,
        plus ``extra`` bytes held elsewhere: (bytes needed, bytes free on the device, the largest processing
        short side that fits)."""
        ph, pw = (h, w) if not size else _scaled(h, w, size)
        per_pixel = self.spec.bytes_per_pixel * batch
        free = available_bytes(self.device) - RESERVE
        tile = self.tile_side(batch, ph, pw, budget=free - extra, code=code)
        need = (self._tiled_bytes(batch, ph, pw, tile, code) if tile else per_pixel * ph * pw) + extra
        aspect = max(ph, pw) / min(ph, pw)
        short = int(max(0.0, (free - extra) / (per_pixel * aspect)) ** 0.5) // 8 * 8
        return need, free, short

    def check_memory(self, state: StreamState, h: int, w: int, batch: int, extra: int = 0) -> None:
        """Refuse, naming --size, (h, w) frames whose processing at ``state.size`` in batches of ``batch`` would
        need more memory than the device has free (frames that are tiled, asked for or automatically, count as
        tiled)."""
        need, free, short = self.memory_fit(h, w, batch, extra, state.size, state.style_code)
        if need > free:
            gib = 2**30
            hint = (f"use --size {short} or less (processing short side)" if short >= MIN_SIZE
                    else "use a smaller --size")
            hint += " or tiles (--tile 256)" if getattr(self.network_for(state.style_code), "tiles", False) else ""
            raise VidstyleError(f"{w}x{h} frames need about {need / gib:.1f} GiB with model {self.model_name} "
                                f"(batch {batch}), more than the {max(free, 0) / gib:.1f} GiB free: {hint}"
                                + (" or --batch 1" if batch > 1 else ""))

    def _tiling(self, tile, overlap) -> tuple[int | str, int]:
        """Checked tiling options: tile 'auto', 0 (off) or a side rounded up to the model's stride; overlap in
        pixels (None: the model's default), rounded up likewise."""
        tile = 0 if tile in ("off", None) else tile
        overlap = getattr(self.net, "tile_overlap", 0) if overlap is None else overlap
        up = max(self.stride, 1)
        if tile != "auto":
            if not isinstance(tile, int) or 0 < tile < MIN_TILE:
                raise VidstyleError(f"tile side must be 'auto', 'off', 0 or at least {MIN_TILE} pixels, got {tile!r}")
            tile = -(-tile // up) * up
        raw, overlap = int(overlap), -(-int(overlap) // up) * up
        side = AUTO_TILE if tile == "auto" else tile
        if side and (raw < 0 or 2 * overlap > side):
            raise VidstyleError(f"tile overlap must be from 0 to half the tile side ({side // 2} px), got {raw}")
        if tile not in (0, "auto") and not getattr(self.net, "tiles", False):
            log.warning("model '%s' does not tile (see docs/commands.md, Tiles): stylizing whole frames",
                        self.model_name)
        return tile, overlap

    def tile_side(self, n: int, h: int, w: int, budget: int | None = None, code=None) -> int:
        """The tile side that ``n`` frames of (h, w) processing pixels are stylized in with ``code``'s network;
        0 = whole frames. 'auto' tiles only where whole frames need more than ``budget`` bytes (default: the
        device's free memory)."""
        if not self.tile or not getattr(self.network_for(code), "tiles", False):
            return 0
        if self._oom_tile:  # one whole frame (or a larger tile) did not fit in GPU memory
            return self._oom_tile if max(h, w) > self._oom_tile else 0
        if self.tile != "auto":
            return self.tile if max(h, w) > self.tile else 0
        budget = available_bytes(self.device) - RESERVE if budget is None else budget
        return AUTO_TILE if self.spec.bytes_per_pixel * n * h * w > budget and max(h, w) > AUTO_TILE else 0

    def _tiled_bytes(self, n: int, h: int, w: int, tile: int, code=None) -> int:
        """Peak working memory estimate for ``n`` (h, w) frames in tiles of ``tile``: one tile's work plus what
        is kept for the whole frame (the tiles' features, input and output)."""
        frame = getattr(self.network_for(code), "tile_frame_bytes", 0)
        return n * (self.spec.bytes_per_pixel * min(tile, h) * min(tile, w) + frame * h * w)

    def planned_tile(self, n: int, h: int, w: int, code=None) -> int:
        """``tile_side``, decided once per batch shape (a live run does not switch back and forth)."""
        if (n, h, w) not in self._tile_plans:
            told = any(k[1:] == (h, w) and v for k, v in self._tile_plans.items())
            self._tile_plans[n, h, w] = tile = self.tile_side(n, h, w, code=code)
            if tile and not told:
                auto = self.tile == "auto"  # a notice then: the user did not ask for tiles
                log.log(logging.WARNING if auto else logging.INFO, "stylizing %dx%d frames in tiles of %d px "
                        "(overlap %d)%s", w, h, tile, self.tile_overlap,
                        ": whole frames would not fit in free memory" if auto else "")
        return self._tile_plans[n, h, w]

    def _tiled(self, net: torch.nn.Module, x: torch.Tensor, tile: int, code, state: StreamState) -> torch.Tensor:
        """``net`` on (N, 3, H, W) frames in overlapping tiles, normalized by the whole frames' content
        statistics (smoothed over time like untiled ones), blended with feathered seams."""
        smooth = state.stats_ema if state.stats_ema is not None and state.smooth_stats else None

        def whole_stats(parts):
            stats = net.global_stats(parts)
            return smooth(*stats) if smooth else stats

        def decode(f, stats):
            return net.decode_features(f, code, state.strength, stats)

        tiles = split(*x.shape[-2:], tile, self.tile_overlap, self.stride)
        return run_tiled(x, tiles, self.tile_overlap, net.content_features, whole_stats, decode, net.stride)

    def _autocast(self):
        """bf16 autocast on a CPU; nothing where the weights are already in the run's precision."""
        enabled = self.dtype != torch.float32 and not self.half_weights
        return torch.autocast(self.device.type, dtype=self.dtype, enabled=enabled)

    def _input(self, x: torch.Tensor) -> torch.Tensor:
        """A float batch in the dtype the network takes: the weights' dtype, or fp32 under autocast."""
        return x.to(self.dtype) if self.half_weights else x

    def encode_style(self, style=None) -> tuple[str, StyleCode]:
        """Style image (path, array or PIL image; None = default) -> (name, style code), cached. A list of
        (style, weight) pairs is a style mix (``encode_mix``)."""
        if isinstance(style, list):
            return self.encode_mix(style)
        rgb, name = self._style_image(style)
        net_id, code = self._encoded(rgb, "code")
        return name, StyleCode((t.to(self.device) for t in code), net_id, source=rgb)

    @staticmethod
    def _style_image(style) -> tuple[np.ndarray, str]:
        """Style (path, library or bundled painting name, array or PIL image; None = default) -> (RGB uint8
        (H, W, 3), name)."""
        if style is None or isinstance(style, (str, os.PathLike)):
            path = default_style() if style is None else style_file(str(style)) or str(style)
            rgb, name = load_image(path), os.path.basename(path)
        else:
            rgb, name = (to_rgb(style) if isinstance(style, Image.Image) else np.asarray(style)), "array"
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise VidstyleError(f"style must be an RGB uint8 image (H, W, 3), got {rgb.dtype} {rgb.shape}")
        return rgb, name

    def _encoded(self, rgb: np.ndarray, what: str, net_id: str | None = None,
                 disk: bool = True) -> tuple[str, tuple]:
        """(network id, cached CPU fp32 tensors) of a style image: its ``what`` ('code': the code; 'stats': the
        statistics a mix averages) computed by the network ``net_id`` (None: its per-style network, if any),
        cached in memory and (``disk``) on disk. A model that has both makes its code from its statistics (kept
        in memory), so a mix costs no second encoder pass."""
        if net_id is None:
            net_id, net = self.network(image_key(rgb))
        else:
            net = self.nets[net_id]
        key = f"{image_key(rgb)}-{STYLE_SHORT_SIDE}" + (f"-{net_id}" if net_id else "") + (
            "-stats" if what == "stats" else "")
        with self.lock:
            value = self.cache.get(key)
            if value is None and what == "code" and hasattr(net, "code_from_stats"):
                stats = self._encoded(rgb, "stats", net_id, disk=False)[1]
                with torch.no_grad(), self._autocast():
                    value = tuple(t.float().cpu() for t in net.code_from_stats(tuple(t.to(self.device)
                                                                                     for t in stats)))
                self.cache.put(key, value)
            elif value is None:
                x = torch.from_numpy(np.array(rgb)).permute(2, 0, 1)[None].float().div(255)
                x = self._input(pad_to_multiple(resize_short(x, STYLE_SHORT_SIDE).to(self.device), self.stride)[0])
                with torch.no_grad(), self._autocast():
                    encode = net.encode_style if what == "code" else net.style_stats
                    value = tuple(t.float().cpu() for t in encode(x))
                self.cache.put(key, value, disk)
        return net_id, value

    def encode_mix(self, parts: list) -> tuple[str, StyleCode]:
        """A style mix: [(style, weight), ...] with weights >= 0, at least one > 0 (normalised here) -> (name,
        code). The styles' ``style_stats`` (adain: its code, relu4_1 mean/std; fast: the VGG19 statistics its
        style MLP takes) are averaged with the weights and turned into one code, so weights 1, 0 give exactly
        the first style. Styles with different per-style networks fall back to the model's own (said once)."""
        if not hasattr(self.net, "code_from_stats"):
            raise VidstyleError(f"model '{self.model_name}' cannot mix styles")
        weights = mix_weights([w for _, w in parts])
        images = [self._style_image(s) for s, _ in parts]
        nets = {self.network(image_key(rgb))[0] for (rgb, _), w in zip(images, weights) if w > 0}
        net_id = nets.pop() if len(nets) == 1 else ""
        if nets and not self._mix_warned:
            log.warning("the mixed styles have different per-style networks: mixing with %s's own network",
                        self.model_name)
            self._mix_warned = True
        stats = [self._encoded(rgb, "stats", net_id)[1] for rgb, _ in images]
        mixed = [sum(w * s[i] for w, s in zip(weights, stats)) for i in range(len(stats[0]))]
        with self.lock, torch.no_grad(), self._autocast():
            code = self.nets[net_id].code_from_stats(tuple(t.to(self.device) for t in mixed))
        name = " + ".join(f"{n} {w:.2f}" for (_, n), w in zip(images, weights))
        return name, StyleCode((t.float() for t in code), net_id)

    def style_stats(self, style=None) -> tuple:
        """The statistics of a style image that ``encode_mix`` averages: CPU fp32 tensors, cached."""
        return self._encoded(self._style_image(style)[0], "stats")[1]

    def _colour_plan(self, state: StreamState, code, content: torch.Tensor):
        """(style code to run, whether to keep the content's chroma after) for ``code`` on frames ``content``
        (N, 3, H, W) in [0, 1], per the state's ``preserve_color``; 'match' re-encodes the style matched to
        ``content[0]`` when the state has not matched it since the style or setting changed, and falls back to
        'luma' where it cannot."""
        mode = state.preserve_color
        if mode != "match":
            return code, mode == "luma"
        if state.matched is None or state.matched[0] is not code:
            state.matched = (code, self._match_style(state, code, content[:1]))
        matched = state.matched[1]
        return (code, True) if matched is None else (matched, False)

    def _match_style(self, state: StreamState, code, content: torch.Tensor):
        """``code``'s style image with ``content``'s (1, 3, H, W) colour mean and covariance, encoded (its own
        cache entry: a new image, so a painting's per-style network gives way to the model's own); None, said
        once per stream, where the style has no image or the model no use for one."""
        source = getattr(code, "source", None)
        if source is None or self.per_style:
            if not state.match_warned:
                why = "its style is in the network" if self.per_style else "this style has no image"
                log.warning("preserve-color match: %s, so the content's colours are kept with luma instead", why)
                state.match_warned = True
            return None
        style = torch.tensor(source, device=self.device).permute(2, 0, 1)[None].float().div(255)
        style = resize_short(style, STYLE_SHORT_SIDE)
        rgb = match_colours(style, content.float())[0].mul(255).round().byte().permute(1, 2, 0).cpu().numpy()
        with torch.inference_mode(False):  # the code is kept and cached: ordinary tensors
            return self.encode_style(rgb)[1]

    def stylize_tensor(self, state: StreamState, x: torch.Tensor, out_hw: tuple[int, int] | None = None,
                       code=None) -> torch.Tensor:
        """(N, 3, H, W) float in [0, 1] on any device -> (N, 3, H', W') float in [0, 1] on the runner's device,
        where (H', W') is ``out_hw`` or (H, W); ``code`` overrides the state's style code."""
        with torch.no_grad():
            return self._stylize(state, x, out_hw, code).clone()  # an ordinary tensor, not an inference-mode one

    @torch.inference_mode()
    def _stylize(self, state: StreamState, x: torch.Tensor, out_hw: tuple[int, int] | None = None,
                 code=None) -> torch.Tensor:
        x = content = x.to(self.device, non_blocking=True)
        out_hw = out_hw or tuple(x.shape[-2:])
        with self.lock:
            code, luma = self._colour_plan(state, state.style_code if code is None else code, content)
            if state.size:
                x = resize_short(x, state.size)
            x, hw = pad_to_multiple(x, self.stride)
            smooth = state.stats_ema if state.stats_ema is not None and state.smooth_stats else None
            with self._autocast():
                x = self._input(x).contiguous(memory_format=torch.channels_last)
                net = self.network_for(code)
                tile = self.planned_tile(x.shape[0], *x.shape[-2:], code=code)
                if tile:
                    y = self._tiled(net, x, tile, code, state)
                elif smooth is not None:
                    y = net(x, code, alpha=state.strength, stats_filter=smooth)
                else:
                    y = net(x, code, alpha=state.strength)
            y = y[..., : hw[0], : hw[1]].float()
            if hasattr(net, "edges"):  # at the frame's real edges, not at those of its padding
                y = net.edges(y, x[..., : hw[0], : hw[1]])
        if tuple(y.shape[-2:]) != tuple(out_hw):
            y = F.interpolate(y, size=out_hw, mode="bilinear", align_corners=False,
                              antialias=out_hw[0] < y.shape[-2])
        return keep_chroma(y, content) if luma else y.clamp_(0, 1)

    def submit(self, state: StreamState, frames: np.ndarray, out_hw: tuple[int, int] | None = None,
               pad_to: int | None = None, code=None):
        """Start stylizing uint8 frames (N, H, W, 3); returns an object whose ``result()`` is the uint8
        (N, H', W', 3) output. On CUDA the call returns once the work is queued, so the caller can prepare
        the next batch while this one computes and downloads; ``pad_to`` pads a short batch (with its last
        frame) so that every call has the same shape (cuDNN tunes once per shape)."""
        n = frames.shape[0]
        if pad_to and self.device.type == "cuda" and n < pad_to:
            frames = np.concatenate([frames, np.repeat(frames[-1:], pad_to - n, 0)])
        y = self._stylize_fitting(state, self.io.upload(frames), out_hw, code)
        return self.io.download(y[:n])

    def stylize(self, state: StreamState, frames, out_hw: tuple[int, int] | None = None, code=None):
        """uint8 (N, H, W, 3) or one (H, W, 3) frame -> the same type at ``out_hw`` (default the input's size);
        float (N, 3, H, W) tensors in [0, 1] -> float tensors. ``code`` overrides the state's style code."""
        if isinstance(frames, torch.Tensor):
            return self.stylize_tensor(state, frames, out_hw, code)
        arr = np.asarray(frames)
        single = arr.ndim == 3
        if single:
            arr = arr[None]
        if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8:
            raise VidstyleError(f"frames must be uint8 (N, H, W, 3), got {arr.dtype} {arr.shape}")
        out = self.submit(state, arr, out_hw, code=code).result()
        return out[0] if single else out

    def _stylize_fitting(self, state: StreamState, x: torch.Tensor, out_hw, code) -> torch.Tensor:
        """``_stylize``, halving the batch on running out of GPU memory (said once), then, at one frame, going
        on in ever smaller tiles where the model tiles."""
        try:
            return self._stylize(state, x, out_hw, code)
        except torch.OutOfMemoryError:
            n = x.shape[0]
            net = self.network_for(state.style_code if code is None else code)
            if n == 1 and self._smaller_tiles(x.shape[-1], x.shape[-2], net):
                return self._stylize_fitting(state, x, out_hw, code)
            if n == 1:
                tiles = " or in smaller tiles (--tile 256)" if getattr(net, "tiles", False) else ""
                raise VidstyleError(f"out of GPU memory for one {x.shape[-1]}x{x.shape[-2]} frame with model "
                                    f"{self.model_name}: process it smaller (--size){tiles}") from None
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            if not self._halved:
                log.warning("out of GPU memory at batch %d: going on with smaller batches", n)
                self._halved = True
            return torch.cat([self._stylize_fitting(state, part, out_hw, code) for part in x.split((n + 1) // 2)])

    def _smaller_tiles(self, w: int, h: int, net: torch.nn.Module) -> bool:
        """After one w x h frame ran out of GPU memory: tiles of AUTO_TILE, or half the last forced side, from
        now on (said); False where the network does not tile, tiles are off, or they cannot get smaller."""
        if not self.tile or not getattr(net, "tiles", False):
            return False
        side = self._oom_tile // 2 if self._oom_tile else AUTO_TILE
        side = side // max(self.stride, 1) * max(self.stride, 1)
        if side < max(MIN_TILE, 2 * self.tile_overlap):
            return False
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        log.warning("out of GPU memory for one %dx%d frame: going on in tiles of %d px", w, h, side)
        with self.lock:
            self._oom_tile = side
            self._tile_plans.clear()
        return True
