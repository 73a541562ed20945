"""Still images: read any image file as RGB uint8, write one atomically."""
from __future__ import annotations

import os

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import VidstyleError
from .files import AtomicFile

JPEG_QUALITY = 95


def load_image(path: str, what: str = "style") -> np.ndarray:
    """Read an image file -> RGB uint8 (H, W, 3). Raises VidstyleError naming the problem and ``what``."""
    if not os.path.exists(path):
        raise VidstyleError(f"{what} image not found: {path}")
    if os.path.isdir(path):
        raise VidstyleError(f"{what} image is a folder, not an image: {path}")
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise VidstyleError(f"{what} image is not a readable image: {path} ({type(e).__name__})") from None


def image_format(path: str) -> str:
    """PIL format name for an output image path, or a VidstyleError for an unknown extension."""
    fmt = Image.registered_extensions().get(os.path.splitext(path)[1].lower())
    if fmt is None or fmt not in Image.SAVE:
        raise VidstyleError(f"unknown image extension: {path} (use .jpg, .png or .webp)")
    return fmt


def write_image(path: str, rgb: np.ndarray) -> None:
    """Write an RGB uint8 (H, W, 3) image atomically (temporary file beside it, then rename)."""
    fmt = image_format(path)
    out = AtomicFile(path)
    try:
        Image.fromarray(rgb).save(out.tmp, format=fmt, **({"quality": JPEG_QUALITY} if fmt in ("JPEG", "WEBP") else {}))
        out.commit()
    finally:
        out.discard()
