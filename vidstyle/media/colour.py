"""Colour description of a video: which YUV <-> RGB matrix and range its pixels use, and the primaries and
transfer it is tagged with. Decoding converts with the input's description, encoding converts back with the
same one and tags the output with it, so colours survive a round trip; an untagged input is BT.709 when HD
and BT.601 otherwise, as FFmpeg and players assume.

Numbers are FFmpeg's AVColorSpace / AVColorPrimaries / AVColorTransferCharacteristic / AVColorRange.
"""
from __future__ import annotations

from dataclasses import dataclass

from av.video.reformatter import ColorRange, Colorspace

UNSPECIFIED = 2
BT709, BT470BG, SMPTE170M = 1, 5, 6
RANGE_UNSPECIFIED, RANGE_LIMITED, RANGE_FULL = 0, 1, 2
HD_HEIGHT = 720  # untagged video at least this tall is taken as BT.709
# AVColorSpace -> the swscale matrix that converts it
SWS_MATRIX = {1: Colorspace.ITU709, 4: Colorspace.FCC, 5: Colorspace.ITU601, 6: Colorspace.ITU601,
              7: Colorspace.SMPTE240M, 9: Colorspace.BT2020, 10: Colorspace.BT2020}


@dataclass(frozen=True)
class Colour:
    """matrix, primaries, transfer: AVColorSpace, AVColorPrimaries, AVColorTransferCharacteristic values;
    full_range: 0-255 YUV (JPEG) rather than 16-235 (MPEG)."""

    matrix: int
    primaries: int
    transfer: int
    full_range: bool

    @property
    def sws_matrix(self) -> Colorspace:
        return SWS_MATRIX.get(self.matrix, Colorspace.ITU601)

    @property
    def sws_range(self) -> ColorRange:
        return ColorRange.JPEG if self.full_range else ColorRange.MPEG

    def tag(self, codec_context) -> None:
        """Write this description into an encoder's codec context (and so into the output's headers)."""
        codec_context.colorspace = self.matrix
        codec_context.color_primaries = self.primaries
        codec_context.color_trc = self.transfer
        codec_context.color_range = RANGE_FULL if self.full_range else RANGE_LIMITED


def default_colour(height: int) -> Colour:
    """What an untagged video of this height is taken to be: BT.709 for HD, BT.601 (SMPTE 170M) for SD,
    limited range."""
    if height >= HD_HEIGHT:
        return Colour(BT709, BT709, BT709, False)
    return Colour(SMPTE170M, SMPTE170M, SMPTE170M, False)


def describe(codec_context) -> Colour:
    """The colour description of a decoder's codec context, the defaults filling what it leaves unspecified.
    A ``yuvj*`` pixel format means full range."""
    base = default_colour(codec_context.height)
    cc = codec_context

    def pick(value, fallback: int) -> int:
        return fallback if value is None or int(value) in (0, UNSPECIFIED) else int(value)

    matrix = pick(cc.colorspace, base.matrix)
    if matrix not in SWS_MATRIX:  # RGB, YCgCo, ICtCp...: swscale cannot undo them, treat as the default
        matrix = base.matrix
    full = int(cc.color_range or 0) == RANGE_FULL or (cc.pix_fmt or "").startswith("yuvj")
    return Colour(matrix, pick(cc.color_primaries, base.primaries), pick(cc.color_trc, base.transfer), full)
