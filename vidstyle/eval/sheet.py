"""Contact sheets: rows of thumbnails under a header of labels, as one PNG (or JPEG, by the file name)."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ..errors import VidstyleError

THUMB_H, THUMB_W, HEADER_H = 192, 256, 20
BACKGROUND, TEXT = (32, 32, 32), (230, 230, 230)
JPEG_QUALITY = 88  # sheets named .jpg: a tenth of the PNG's size


def thumb(rgb: np.ndarray) -> Image.Image:
    """RGB uint8 (H, W, 3) -> a thumbnail that fits a THUMB_W x THUMB_H cell."""
    im = Image.fromarray(rgb)
    im.thumbnail((THUMB_W, THUMB_H), Image.Resampling.LANCZOS)
    return im


def write_sheet(path: str, rows: list[list[Image.Image]], labels: list[str]) -> None:
    """A contact sheet PNG: a header row of ``labels``, then one row of thumbnails per pair, each centred
    in a THUMB_W x THUMB_H cell."""
    cols = len(labels)
    sheet = Image.new("RGB", (cols * THUMB_W, HEADER_H + len(rows) * THUMB_H), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for c, label in enumerate(labels):
        draw.text((c * THUMB_W + 6, 4), label, fill=TEXT)
    for r, row in enumerate(rows):
        for c, im in enumerate(row):
            x = c * THUMB_W + (THUMB_W - im.width) // 2
            y = HEADER_H + r * THUMB_H + (THUMB_H - im.height) // 2
            sheet.paste(im, (x, y))
    try:
        jpeg = path.lower().endswith((".jpg", ".jpeg"))
        sheet.save(path, format="JPEG" if jpeg else "PNG", **({"quality": JPEG_QUALITY} if jpeg else {}))
    except OSError as e:
        raise VidstyleError(f"cannot write --sheet {path}: {e.strerror or e}") from None
