"""The Python API, the one object users import: ``vidstyle.Stylizer(style=...)(frames)``.

Frames are a uint8 numpy batch (N, H, W, 3) RGB (or one (H, W, 3) image), or a float tensor (N, 3, H, W)
in [0, 1]; the output has the same type and size. The style is encoded once and cached.

``Stylizer`` is a convenience over ``vidstyle.stylizer``: one ``ModelRunner`` (``.runner``, shareable between
streams and threads) and one ``StreamState`` (``.state``, this object's style, strength, colour option and
history). Programs that serve several streams make one runner and a state per stream instead.

May import: ``vidstyle.stylizer``, ``vidstyle.errors``.
"""
from __future__ import annotations

from .stylizer import ModelRunner, StreamState, StyleCode, blend_codes, default_model_name

__all__ = ["Stylizer", "StyleCode", "default_model_name"]


def _state_field(name: str, doc: str) -> property:
    return property(lambda self: getattr(self.state, name), lambda self, v: setattr(self.state, name, v), doc=doc)


def _runner_field(name: str, doc: str) -> property:
    return property(lambda self: getattr(self.runner, name), doc=doc)


class Stylizer:
    """Style transfer with one network and a current style.

    style: image path, style library name, bundled painting ('starry', 'wave', 'kandinsky'), RGB uint8 array or
    PIL image, or a list of (style, weight) pairs (default: the bundled Starry Night). model: a registry name
    or 'auto'; device: 'auto', 'cpu', 'cuda'; precision: 'auto', 'fp32', 'fp16', 'bf16'. strength: style
    strength alpha in [0, 1]; size: processing short side in pixels (None = the input's). temporal_stats: EMA
    weight in [0, 1) of the content statistics across consecutive calls (video; 0 = off), for models that
    normalize content features (``reset_temporal()`` between clips; ``smooth_stats`` switches it off and on).
    compile, tile, tile_overlap: see ``ModelRunner``. preserve_color: None, 'luma' or 'match' (see
    ``StreamState.preserve_color``); a per-style model (a fast_neural_style ``.pth``) ignores ``style``.
    """

    def __init__(self, style=None, model: str = "auto", device: str = "auto", precision: str = "auto",
                 strength: float = 1.0, size: int | None = None, disk_cache: bool = True,
                 temporal_stats: float = 0.0, compile: bool = False, tile: int | str = "auto",
                 tile_overlap: int | None = None, preserve_color: str | None = None):
        self.runner = ModelRunner(model, device, precision, disk_cache, compile, tile, tile_overlap)
        self.state: StreamState = self.runner.new_state(style, strength, preserve_color, size, temporal_stats)

    style_name = _state_field("style_name", "The current style's name.")
    style_code = _state_field("style_code", "The current style's code (a ``StyleCode``).")
    strength = _state_field("strength", "Style strength alpha in [0, 1].")
    preserve_color = _state_field("preserve_color", "None, 'luma' or 'match'; settable at run time.")
    size = _state_field("size", "Processing short side in pixels (None: the input's).")
    stats_ema = _state_field("stats_ema", "The content-statistics EMA, or None.")
    smooth_stats = _state_field("smooth_stats", "Whether the content statistics are smoothed now.")
    device = _runner_field("device", "The torch device.")
    dtype = _runner_field("dtype", "The run's precision (a torch dtype).")
    model_name = _runner_field("model_name", "The model's registry name or weights file.")
    per_style = _runner_field("per_style", "True for a per-style network (its style is in its weights).")
    trained = _runner_field("trained", "False where the model has no weights (its output is not stylized).")
    net = _runner_field("net", "The model's own network.")
    cache = _runner_field("cache", "The style-code cache.")
    tile = _runner_field("tile", "Tile side: 'auto', 0 (off) or pixels.")
    tile_overlap = _runner_field("tile_overlap", "Tile overlap in pixels.")
    default_batch = _runner_field("default_batch", "Frames per model call when the user does not say.")
    blend_codes = staticmethod(blend_codes)

    @property
    def model_label(self) -> str:
        """The model's name, marked when the current style has its own network (or the model is one)."""
        return self.runner.model_label(self.state)

    def encode_style(self, style=None) -> tuple[str, StyleCode]:
        """(name, code) of a style image (path, array or PIL image; None = default) or mix (a list of pairs)."""
        return self.runner.encode_style(style)

    def encode_mix(self, parts: list) -> tuple[str, StyleCode]:
        """(name, code) of a style mix [(style, weight), ...] (see ``ModelRunner.encode_mix``)."""
        return self.runner.encode_mix(parts)

    def style_stats(self, style=None) -> tuple:
        """The statistics of a style image that a mix averages: CPU fp32 tensors, cached."""
        return self.runner.style_stats(style)

    def set_style(self, style=None) -> None:
        """Paint with ``style`` from now on (a per-style model keeps its own)."""
        self.state.style_name, self.state.style_code = self.runner.style(style)

    def reset_temporal(self) -> None:
        """Forget the content statistics of earlier frames and the colour match (a new clip)."""
        self.state.reset()

    def network_for(self, code=None):
        """The network that runs ``code`` (default: the current style's)."""
        return self.runner.network_for(self.style_code if code is None else code)

    def memory_fit(self, h: int, w: int, batch: int = 1, extra: int = 0) -> tuple[int, int, int]:
        """(bytes needed, bytes free, largest short side that fits) for (h, w) frames at this ``size``."""
        return self.runner.memory_fit(h, w, batch, extra, self.size, self.style_code)

    def tile_side(self, n: int, h: int, w: int, budget: int | None = None) -> int:
        """The tile side ``n`` frames of (h, w) processing pixels are stylized in; 0 = whole frames."""
        return self.runner.tile_side(n, h, w, budget, self.style_code)

    def submit(self, frames, out_hw: tuple[int, int] | None = None, pad_to: int | None = None):
        """Start stylizing uint8 frames (N, H, W, 3); ``result()`` of the returned object is the output."""
        return self.runner.submit(self.state, frames, out_hw, pad_to)

    def stylize_tensor(self, x, out_hw: tuple[int, int] | None = None):
        """(N, 3, H, W) float in [0, 1] -> (N, 3, H', W') float in [0, 1] on the runner's device."""
        return self.runner.stylize_tensor(self.state, x, out_hw)

    def __call__(self, frames, out_hw: tuple[int, int] | None = None):
        """uint8 (N, H, W, 3) or one (H, W, 3) frame -> the same type at ``out_hw`` (default the input's size);
        float (N, 3, H, W) tensors in [0, 1] -> float tensors."""
        return self.runner.stylize(self.state, frames, out_hw)
