"""The model registry: name -> how to build it and where its shipped weights are; and the per-style networks
of a model (same architecture, weights trained for one painting), found by the painting's content key."""
from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass
from typing import Callable

import torch

from . import adain, fast, transformernet

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "weights")
STYLE_NETWORKS = "styles"  # per-style weights live in WEIGHTS_DIR/styles/<model>/<name>.safetensors


@dataclass(frozen=True)
class ModelSpec:
    name: str
    build: Callable[[dict | None], torch.nn.Module]
    weights: str  # file name in vidstyle/weights/
    meta: dict
    bytes_per_pixel: int  # peak working memory per processed pixel and frame, for up-front size checks

    @property
    def weights_path(self) -> str:
        return os.path.join(WEIGHTS_DIR, self.weights)

    @property
    def draft(self) -> bool:
        """True when the shipped weights are marked as a draft (still in training, below the quality bar)."""
        if not os.path.exists(self.weights_path) or not self.weights.endswith(".safetensors"):
            return False
        return weights_metadata(self.weights_path).get("draft") == "1"

    def load(self, path: str | None = None) -> tuple[torch.nn.Module, bool]:
        """Build with the shipped weights (or those at ``path``: a per-style network); returns (model,
        trained). Untrained when no weights are shipped."""
        path = path or self.weights_path
        if not os.path.exists(path):
            return self.build(None), False
        if path.endswith(transformernet.EXTENSIONS):
            return self.build(transformernet.load_state(path)), True
        from safetensors.torch import load_file

        padding = weights_metadata(path).get("padding")  # fast: the padding mode the weights were trained with
        return (self.build(load_file(path), padding=padding) if padding else self.build(load_file(path))), True


MODELS: dict[str, ModelSpec] = {
    adain.NAME: ModelSpec(adain.NAME, adain.build, adain.WEIGHTS, adain.META, adain.BYTES_PER_PIXEL),
    fast.NAME: ModelSpec(fast.NAME, fast.build, fast.WEIGHTS, fast.META, fast.BYTES_PER_PIXEL),
    "fast-v1": ModelSpec("fast-v1", functools.partial(fast.build, edge_fix=False, padding="zeros"), fast.WEIGHTS,
                         fast.META | {"weights": "the fast weights of 2026-11-28 as they shipped then, without the "
                                      "edge fix, for side-by-side comparisons"}, fast.BYTES_PER_PIXEL),
    "fast-arbitrary": ModelSpec("fast-arbitrary", fast.build, fast.WEIGHTS,
                                fast.META | {"weights": "fast's arbitrary-style network, also for paintings that "
                                             "have a per-style network (for side-by-side comparisons)"},
                                fast.BYTES_PER_PIXEL),
}


def user_weights_dir() -> str:
    """Where `vidstyle train ... --style-image` results go by default: $XDG_DATA_HOME/vidstyle/weights."""
    root = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return os.path.join(root, "vidstyle", "weights")


def style_networks(model: str) -> dict[str, str]:
    """The per-style networks of ``model``, shipped and the user's: {style key: weights path}. The style key
    (``vidstyle.styles.image_key`` of the painting) is in each file's metadata."""
    found = {}
    for root in (WEIGHTS_DIR, user_weights_dir()):
        folder = os.path.join(root, STYLE_NETWORKS, model)
        if os.path.isdir(folder):
            for name in sorted(os.listdir(folder)):
                if name.endswith(".safetensors"):
                    key = _style_key(os.path.join(folder, name), os.path.getmtime(os.path.join(folder, name)))
                    if key:
                        found[key] = os.path.join(folder, name)
    return found


@functools.lru_cache(maxsize=64)
def _style_key(path: str, _mtime: float) -> str | None:
    try:
        return weights_metadata(path).get("style_key")
    except Exception:  # noqa: BLE001 - a torn or foreign file is not a per-style network
        return None


def get(name: str) -> ModelSpec:
    """A registered model, a weights file written by ``vidstyle.train.ship`` (its metadata names the
    architecture): ``--model my_fast.safetensors``, or a pytorch/examples fast_neural_style checkpoint:
    ``--model candy.pth`` (a per-style network, ``meta['per_style']``)."""
    if name.endswith(transformernet.EXTENSIONS):
        if not os.path.isfile(name):
            raise KeyError(f"--model {name}: no such file")
        return ModelSpec(os.path.basename(name), transformernet.build, os.path.abspath(name), transformernet.META,
                         transformernet.BYTES_PER_PIXEL)
    if name.endswith(".safetensors") and os.path.isfile(name):
        arch = weights_metadata(name).get("model")
        if arch not in MODELS:
            raise KeyError(f"{name} does not say which model it holds (write it with vidstyle.train.ship)")
        return dataclasses.replace(MODELS[arch], name=os.path.basename(name), weights=os.path.abspath(name))
    if name.endswith(".onnx"):
        raise KeyError(f"{name} is an ONNX model (as `vidstyle export` writes), which --model does not run: it takes "
                       f"{', '.join(MODELS)}, a .safetensors file or a fast_neural_style .pth; run ONNX files with "
                       "onnxruntime")
    if name not in MODELS:
        raise KeyError(f"unknown model '{name}' (available: {', '.join(MODELS)}, a .safetensors file or a "
                       "fast_neural_style .pth)")
    return MODELS[name]


def weights_metadata(path: str) -> dict:
    from safetensors import safe_open

    with safe_open(path, "pt") as f:
        return f.metadata() or {}
