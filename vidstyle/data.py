"""Image folders for training and evaluation, and the fixed hold-out subset that training never sees.

May import: the standard library only.
"""
from __future__ import annotations

import hashlib
import os

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
HOLDOUT_EVERY = 20


def is_holdout(path: str, every: int = HOLDOUT_EVERY) -> bool:
    """A fixed 1-in-``every`` subset of file names, kept out of training and used by ``eval --holdout``."""
    return int(hashlib.sha1(os.path.basename(path).encode()).hexdigest(), 16) % every == 0


def list_images(folder: str, holdout: bool | None = None) -> list[str]:
    """Sorted image paths in ``folder`` (or the one image file it names); holdout=False drops the hold-out
    subset, True keeps only it."""
    if os.path.isfile(folder):
        return [folder]
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"image folder not found: {folder}")
    paths = sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTS))
    if holdout is not None:
        paths = [p for p in paths if is_holdout(p) == holdout]
    return paths
