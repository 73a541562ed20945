"""Style images: the bundled paintings, content keys, the on-disk cache of encoded style codes, style-mix
weights, and where the user's style library lives (read here; written by ``vidstyle.library``).

May import: ``vidstyle.errors``. Style images are read with ``vidstyle.media.images.load_image``."""
from __future__ import annotations

import hashlib
import json
import math
import os

import numpy as np

from .errors import VidstyleError

SAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
PAINTINGS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "paintings")  # shipped in the package
BUNDLED = {"starry": "painting_van_gogh_the_starry_night_1889.jpg",  # short name -> file in PAINTINGS_DIR
           "wave": "painting_hokusai_great_wave_off_kanagawa.jpg",
           "kandinsky": "painting_kandinsky_composition_viii_1923.jpg"}
DEFAULT_STYLE = BUNDLED["starry"]
NAME_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")  # 'starry.jpg', when no such file exists, means 'starry'


def bundled_styles() -> list[str]:
    """Paths of the bundled paintings, by file name (empty when installed without them)."""
    return sorted(p for p in map(bundled_style, BUNDLED) if p)


def bundled_style(name: str) -> str | None:
    """The bundled painting a short name stands for ('starry', 'wave', 'kandinsky'; also with an image extension,
    'starry.jpg'), or None."""
    stem, ext = os.path.splitext(name)
    key = stem if ext.lower() in NAME_EXTENSIONS else name
    path = os.path.join(PAINTINGS_DIR, BUNDLED[key]) if key in BUNDLED else None
    return path if path and os.path.isfile(path) else None


def style_file(ref: str) -> str | None:
    """The image file a style term names: an existing file, else a library style, else a bundled painting
    (short name); None when it names none of them."""
    if os.path.isfile(ref):
        return ref
    library = dict(library_styles())
    return library[ref] if ref in library else bundled_style(ref)


def default_style() -> str:
    path = bundled_style("starry")
    if path is None:
        raise VidstyleError(f"the bundled default style is missing ({PAINTINGS_DIR}); pass --style IMAGE")
    return path


def image_key(rgb: np.ndarray) -> str:
    """A content hash of an RGB uint8 image (so renamed files hit the cache, edited ones miss)."""
    h = hashlib.sha1(str(rgb.shape).encode())
    h.update(np.ascontiguousarray(rgb).tobytes())
    return h.hexdigest()[:20]


def data_dir() -> str:
    """The user's vidstyle data folder: $XDG_DATA_HOME/vidstyle (default ~/.local/share/vidstyle), the root of
    their per-style weights and of their style library."""
    return os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "vidstyle")


def library_dir() -> str:
    """The user's style library (``vidstyle styles add``): data_dir()/library, holding ``library.json`` (the
    index), ``images/`` (the style images as added) and ``codes/`` (their encoded codes)."""
    return os.path.join(data_dir(), "library")


def library_codes_dir() -> str:
    """Where the style library keeps its styles' encoded codes (StyleCache files, read by every StyleCache)."""
    return os.path.join(library_dir(), "codes")


def library_index() -> dict:
    """The library's index, {"styles": {name: entry}, ...}; empty when there is no library. Each entry has
    ``file`` (the image, relative to library_dir()), ``key`` (its image_key), ``codes`` and ``features``."""
    path = os.path.join(library_dir(), "library.json")
    if not os.path.exists(path):
        return {"styles": {}}
    try:
        with open(path) as f:
            index = json.load(f)
        if isinstance(index.get("styles"), dict):
            return index
    except (OSError, ValueError, AttributeError):
        pass
    raise VidstyleError(f"the style library index is damaged: {path} (move it away to start a new library)")


def library_styles() -> list[tuple[str, str]]:
    """[(name, image path)] of the user's style library, sorted by name."""
    return [(name, os.path.join(library_dir(), e["file"])) for name, e in sorted(library_index()["styles"].items())]


def mix_weights(weights) -> list[float]:
    """Style-mix weights (numbers >= 0, at least one > 0) -> the same normalised to sum to 1."""
    weights = [float(w) for w in weights]
    if not weights or any(not math.isfinite(w) or w < 0 for w in weights) or not any(weights):
        shown = ", ".join(f"{w:g}" for w in weights)
        raise VidstyleError(f"style mix weights must be numbers >= 0, at least one > 0, got [{shown}]")
    total = sum(weights)
    return [w / total for w in weights]


def cache_dir() -> str:
    root = os.environ.get("VIDSTYLE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "vidstyle")
    return os.path.join(root, "styles")


class StyleCache:
    """Encoded style codes in memory and on disk (``cache_dir()``), keyed by image hash + model + weights; codes
    the style library keeps (``library_codes_dir()``) are read too."""

    def __init__(self, model_key: str, disk: bool = True):
        self.model_key, self.disk = model_key, disk
        self.memory: dict[str, object] = {}

    def _path(self, key: str, folder: str | None = None) -> str:
        return os.path.join(folder or cache_dir(), f"{self.model_key}-{key}.pt")

    def get(self, key: str):
        if key in self.memory:
            return self.memory[key]
        for path in (self._path(key), self._path(key, library_codes_dir())) if self.disk else ():
            if os.path.exists(path):
                import torch  # here: listing and resolving styles need no torch

                try:
                    self.memory[key] = torch.load(path, map_location="cpu", weights_only=True)
                    return self.memory[key]
                except Exception:  # a torn or foreign cache file is just a miss
                    pass
        return None

    def put(self, key: str, code, disk: bool = True) -> None:
        """Keep ``code`` under ``key`` in memory and, unless ``disk`` is False, in the cache folder."""
        self.memory[key] = code
        if self.disk and disk:
            try:
                self.save(key, cache_dir())
            except OSError:  # a read-only cache folder costs only time
                pass

    def save(self, key: str, folder: str) -> str:
        """Write the code held in memory under ``key`` into ``folder`` atomically; returns the file's name."""
        import torch

        os.makedirs(folder, exist_ok=True)
        path = self._path(key, folder)
        tmp = f"{path}.tmp{os.getpid()}"
        torch.save(self.memory[key], tmp)
        os.replace(tmp, path)
        return os.path.basename(path)
