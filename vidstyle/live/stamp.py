"""A machine-readable wall-clock stamp in a frame's top-left corner, so a receiver can measure the delay.

Layout: ROWS x COLS black/white cells of CELL x CELL pixels (64 x 56 px), read row by row: an 8-bit marker,
then the sender's wall-clock time in milliseconds since the Unix epoch as 48 bits, most significant first
(white = 1). Big cells survive H.264 at ordinary quality. Frames smaller than the block are not stamped.
Delay at the receiver = its own ``time.time()`` in ms minus the stamp (clocks on one machine, or synced).
"""
from __future__ import annotations

import numpy as np

CELL, COLS, ROWS = 8, 8, 7
MARKER = 0b10110010
TIME_BITS = COLS * ROWS - 8


def _bits(ms: int) -> np.ndarray:
    word = (MARKER << TIME_BITS) | (ms & ((1 << TIME_BITS) - 1))
    return np.array([(word >> (COLS * ROWS - 1 - i)) & 1 for i in range(COLS * ROWS)], np.uint8)


def stamp(rgb: np.ndarray, ms: int) -> np.ndarray:
    """Draw the stamp of ``ms`` into RGB uint8 (H, W, 3) ``rgb`` in place; returns it."""
    if rgb.shape[0] < ROWS * CELL or rgb.shape[1] < COLS * CELL:
        return rgb
    cells = _bits(ms).reshape(ROWS, COLS) * 255
    rgb[: ROWS * CELL, : COLS * CELL] = np.kron(cells, np.ones((CELL, CELL), np.uint8))[..., None]
    return rgb


def read_stamp(rgb: np.ndarray) -> int | None:
    """The milliseconds stamped into RGB uint8 (H, W, 3) ``rgb``, or None when it carries no stamp."""
    if rgb.shape[0] < ROWS * CELL or rgb.shape[1] < COLS * CELL:
        return None
    block = rgb[: ROWS * CELL, : COLS * CELL].astype(np.float32).mean(axis=2)
    centres = block.reshape(ROWS, CELL, COLS, CELL)[:, 2:-2, :, 2:-2].mean(axis=(1, 3))
    bits = (centres.reshape(-1) > 127.5).astype(np.int64)
    word = int("".join(map(str, bits)), 2)
    if word >> TIME_BITS != MARKER:
        return None
    return word & ((1 << TIME_BITS) - 1)
