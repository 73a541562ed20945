"""Still images: read any image file Pillow reads as RGB uint8 (upright, 16-bit scaled, transparency on white),
write one atomically."""
from __future__ import annotations

import logging
import os
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import VidstyleError
from .files import AtomicFile

log = logging.getLogger("vidstyle")
JPEG_QUALITY = 95
WIDE_GREY = {"I;16": 257, "I;16L": 257, "I;16B": 257, "I;16N": 257, "I": 257}  # 16-bit grey modes: value / 257
BACKGROUND = (255, 255, 255)  # what transparent pixels are painted on


def load_image(path: str, what: str = "style") -> np.ndarray:
    """Read an image file -> RGB uint8 (H, W, 3), turned upright by its EXIF orientation; an animated or
    multi-page file gives its first frame (said once). Raises VidstyleError naming the problem and ``what``."""
    if not os.path.exists(path):
        raise VidstyleError(f"{what} image not found: {path}")
    if os.path.isdir(path):
        raise VidstyleError(f"{what} image is a folder, not an image: {path}")
    try:
        with warnings.catch_warnings():  # below the hard limit a large image is just large
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                frames = getattr(im, "n_frames", 1)
                if frames > 1:
                    log.warning("%s image %s has %d frames: using the first", what, path, frames)
                    im.seek(0)
                return to_rgb(ImageOps.exif_transpose(im))
    except Image.DecompressionBombError:
        limit = 2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6
        raise VidstyleError(f"{what} image is too large: {path} (more than {limit:.0f} megapixels)") from None
    except (UnidentifiedImageError, OSError, ValueError, EOFError) as e:
        raise VidstyleError(f"{what} image is not a readable image: {path} ({type(e).__name__})") from None


def to_rgb(im: Image.Image) -> np.ndarray:
    """A Pillow image of any mode -> RGB uint8 (H, W, 3): 16-bit grey scaled to 8 bits (not clipped), palette,
    CMYK and 1-bit converted, transparent pixels painted on white."""
    if im.mode in WIDE_GREY:
        grey = np.asarray(im).astype(np.float32) / WIDE_GREY[im.mode]
        return np.repeat(np.clip(grey, 0, 255).round().astype(np.uint8)[..., None], 3, axis=2)
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, BACKGROUND + (255,))
        return np.asarray(Image.alpha_composite(background, rgba).convert("RGB"))
    return np.asarray(im.convert("RGB"))


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
