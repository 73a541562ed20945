// The latency stamp of vidstyle/live/stamp.py, in the browser: 7 rows x 8 columns of 8x8 px cells in the
// top-left corner, an 8-bit marker then 48 bits of milliseconds, most significant first, white = 1.
"use strict";
const STAMP = { CELL: 8, COLS: 8, ROWS: 7, MARKER: 0b10110010, TIME_BITS: 48 };

// Draw the stamp of `ms` (a whole number of milliseconds) into a 2D canvas context.
function drawStamp(ctx, ms) {
  const { CELL, COLS, ROWS, MARKER, TIME_BITS } = STAMP;
  for (let i = 0; i < COLS * ROWS; i++) {
    const bit = i < 8 ? (MARKER >> (7 - i)) & 1 : Math.floor(ms / 2 ** (TIME_BITS - 1 - (i - 8))) % 2;
    ctx.fillStyle = bit ? "#fff" : "#000";
    ctx.fillRect((i % COLS) * CELL, Math.floor(i / COLS) * CELL, CELL, CELL);
  }
}

// The milliseconds stamped into RGBA pixel data of the top-left COLS*CELL x ROWS*CELL block, or null.
function readStamp(data, width) {
  const { CELL, COLS, ROWS, MARKER } = STAMP;
  let marker = 0, ms = 0;
  for (let i = 0; i < COLS * ROWS; i++) {
    const x0 = (i % COLS) * CELL, y0 = Math.floor(i / COLS) * CELL;
    let sum = 0;
    for (let y = y0 + 2; y < y0 + CELL - 2; y++)
      for (let x = x0 + 2; x < x0 + CELL - 2; x++) {
        const p = (y * width + x) * 4;
        sum += (data[p] + data[p + 1] + data[p + 2]) / 3;
      }
    const bit = sum / ((CELL - 4) * (CELL - 4)) > 127.5 ? 1 : 0;
    if (i < 8) marker = marker * 2 + bit; else ms = ms * 2 + bit;
  }
  return marker === MARKER ? ms : null;
}
