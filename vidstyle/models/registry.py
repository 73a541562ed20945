"""The model registry: name -> how to build it and where its shipped weights are."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import torch

from . import adain, fast

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "weights")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    build: Callable[[dict | None], torch.nn.Module]
    weights: str  # file name in vidstyle/weights/
    meta: dict

    @property
    def weights_path(self) -> str:
        return os.path.join(WEIGHTS_DIR, self.weights)

    @property
    def draft(self) -> bool:
        """True when the shipped weights are marked as a draft (still in training, below the quality bar)."""
        if not os.path.exists(self.weights_path):
            return False
        from safetensors import safe_open

        with safe_open(self.weights_path, "pt") as f:
            return (f.metadata() or {}).get("draft") == "1"

    def load(self) -> tuple[torch.nn.Module, bool]:
        """Build with the shipped weights; returns (model, trained). Untrained when no weights are shipped."""
        if not os.path.exists(self.weights_path):
            return self.build(None), False
        from safetensors.torch import load_file

        return self.build(load_file(self.weights_path)), True


MODELS: dict[str, ModelSpec] = {
    adain.NAME: ModelSpec(adain.NAME, adain.build, adain.WEIGHTS, adain.META),
    fast.NAME: ModelSpec(fast.NAME, fast.build, fast.WEIGHTS, fast.META),
}


def get(name: str) -> ModelSpec:
    if name not in MODELS:
        raise KeyError(f"unknown model '{name}' (available: {', '.join(MODELS)})")
    return MODELS[name]
