"""Style images: the bundled paintings, content keys, and the on-disk cache of encoded style codes.

May import: ``vidstyle.errors``. Style images are read with ``vidstyle.media.images.load_image``."""
from __future__ import annotations

import hashlib
import os

import numpy as np
import torch

from .errors import VidstyleError

SAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
DEFAULT_STYLE = "painting_van_gogh_the_starry_night_1889.jpg"


def bundled_styles() -> list[str]:
    """Paths of the paintings in samples/ (empty when installed without them)."""
    if not os.path.isdir(SAMPLES_DIR):
        return []
    return sorted(os.path.join(SAMPLES_DIR, n) for n in os.listdir(SAMPLES_DIR) if n.startswith("painting_"))


def default_style() -> str:
    path = os.path.join(SAMPLES_DIR, DEFAULT_STYLE)
    if not os.path.exists(path):
        raise VidstyleError(f"the bundled default style is missing ({path}); pass --style IMAGE")
    return path


def image_key(rgb: np.ndarray) -> str:
    """A content hash of an RGB uint8 image (so renamed files hit the cache, edited ones miss)."""
    h = hashlib.sha1(str(rgb.shape).encode())
    h.update(np.ascontiguousarray(rgb).tobytes())
    return h.hexdigest()[:20]


def cache_dir() -> str:
    root = os.environ.get("VIDSTYLE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "vidstyle")
    return os.path.join(root, "styles")


class StyleCache:
    """Encoded style codes in memory and on disk (``cache_dir()``), keyed by image hash + model + weights."""

    def __init__(self, model_key: str, disk: bool = True):
        self.model_key, self.disk = model_key, disk
        self.memory: dict[str, object] = {}

    def _path(self, key: str) -> str:
        return os.path.join(cache_dir(), f"{self.model_key}-{key}.pt")

    def get(self, key: str):
        if key in self.memory:
            return self.memory[key]
        if self.disk and os.path.exists(self._path(key)):
            try:
                self.memory[key] = torch.load(self._path(key), map_location="cpu", weights_only=True)
                return self.memory[key]
            except Exception:  # a torn or foreign cache file is just a miss
                pass
        return None

    def put(self, key: str, code) -> None:
        self.memory[key] = code
        if not self.disk:
            return
        try:
            os.makedirs(cache_dir(), exist_ok=True)
            tmp = f"{self._path(key)}.tmp{os.getpid()}"
            torch.save(code, tmp)
            os.replace(tmp, self._path(key))
        except OSError:  # a read-only cache folder costs only time
            pass
