"""The library's contact sheet (``vidstyle styles show``): each group a titled band of thumbnails, each
thumbnail captioned with its library name."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ..media.images import write_image

CELL_W, CELL_H, CAPTION_H, TITLE_H, PER_ROW = 200, 150, 18, 22, 6
BACKGROUND, TITLE, TEXT = (32, 32, 32), (255, 210, 120), (230, 230, 230)


def library_sheet(path: str, styles: list[tuple[str, np.ndarray, int]]) -> tuple[int, int]:
    """Write a sheet of ``styles`` [(name, RGB uint8 (H, W, 3), group from 1)] to ``path`` (format by extension,
    atomically): per group, in order, a title row then rows of up to PER_ROW captioned thumbnails, each fitted
    into CELL_W x CELL_H. Returns the sheet's (width, height)."""
    groups = sorted({g for _, _, g in styles})
    members = {g: [(n, rgb) for n, rgb, gg in styles if gg == g] for g in groups}
    rows = {g: -(-len(members[g]) // PER_ROW) for g in groups}
    width = CELL_W * min(PER_ROW, max(len(m) for m in members.values()))
    height = sum(TITLE_H + rows[g] * (CELL_H + CAPTION_H) for g in groups)
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw, y = ImageDraw.Draw(sheet), 0
    for g in groups:
        draw.text((6, y + 5), f"group {g} ({len(members[g])})" if len(groups) > 1 else "style library",
                  fill=TITLE)
        y += TITLE_H
        for i, (name, rgb) in enumerate(members[g]):
            im = Image.fromarray(rgb)
            im.thumbnail((CELL_W - 8, CELL_H - 4), Image.Resampling.LANCZOS)
            x0, y0 = (i % PER_ROW) * CELL_W, y + (i // PER_ROW) * (CELL_H + CAPTION_H)
            sheet.paste(im, (x0 + (CELL_W - im.width) // 2, y0 + (CELL_H - im.height) // 2))
            draw.text((x0 + 6, y0 + CELL_H + 2), fitted(draw, name, CELL_W - 12), fill=TEXT)
        y += rows[g] * (CELL_H + CAPTION_H)
    write_image(path, np.asarray(sheet))
    return width, height


def fitted(draw: ImageDraw.ImageDraw, text: str, width: int) -> str:
    """``text``, shortened with '...' where it is wider than ``width`` pixels."""
    if draw.textlength(text) <= width:
        return text
    while text and draw.textlength(text + "...") > width:
        text = text[:-1]
    return text + "..."
