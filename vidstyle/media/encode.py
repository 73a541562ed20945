"""The one video encoder factory: an H.264 (or VP9) stream in an output container, fed RGB frames.

File outputs and live outputs (recording, network stream) differ only in their options: ``file_encoder``
and ``live_encoder``. 4:2:0 needs even sizes: a frame one pixel larger loses its last row or column,
others are resized (``fit_even``).
"""
from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np

from .colour import Colour, default_colour

VP9_CRF_OFFSET = 12  # libvpx-vp9's crf scale is coarser: x264 crf 18 looks like VP9 crf 30
X264_FILE = {"bf": "0"}  # no B-frames: exact track duration with variable frame rate
VP9_FILE = {"b": "0", "deadline": "realtime", "cpu-used": "8", "row-mt": "1"}
NVENC_FILE = {"preset": "p5", "tune": "hq", "rc": "vbr", "b": "0", "bf": "0"}  # constant quality (cq), as crf
X264_LIVE = {"preset": "ultrafast", "tune": "zerolatency", "bf": "0", "crf": "23"}  # plus a keyframe a second
# x264's rate-control look-ahead (frames) of each preset: how far past its last frame a segment is encoded so that
# its last frames get the quality they get inside one stream
X264_LOOKAHEAD = {"ultrafast": 0, "superfast": 0, "veryfast": 10, "faster": 20, "fast": 30, "medium": 40, "slow": 50,
                  "slower": 60, "veryslow": 60, "placebo": 60}
# bitrate factors of the frames next to a join of segments, nearest first: a segment starts with a keyframe whose
# coding noise owes nothing to the frame before it (inside one stream that frame is predicted from it, noise
# included), so the frames on both sides of a join are encoded finer, in steps, which hides that change of noise
JOIN_RAMP = (4.0, 3.0, 2.0, 1.4)


def even(n: int) -> int:
    """The even number at or below ``n`` (at least 2)."""
    return max(2, n - n % 2)


def fit_even(rgb: np.ndarray, w: int, h: int) -> np.ndarray:
    """RGB (H, W, 3) brought to (h, w): cropped by the odd pixel, or resized when the size differs more."""
    if rgb.shape[:2] == (h, w):
        return rgb
    if rgb.shape[0] - h in (0, 1) and rgb.shape[1] - w in (0, 1):
        return rgb[:h, :w]
    return cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)


def segment_lookahead(preset: str, webm: bool) -> int:
    """Frames past a segment's end to encode (and not keep) for the file encoder's look-ahead (x264 with
    ``preset``; VP9, realtime, looks at none)."""
    return 0 if webm else X264_LOOKAHEAD.get(preset, 0)


def join_zones(frames: int, after_join: bool, before_join: bool) -> str:
    """x264 ``zones`` for a segment of ``frames`` frames that starts at a join (``after_join``) and/or ends at one
    (``before_join``): its first and last frames encoded finer by ``JOIN_RAMP``; '' when neither."""
    factor = [1.0] * frames
    for i, f in enumerate(JOIN_RAMP[:frames]):
        if after_join:
            factor[i] = max(factor[i], f)
        if before_join:
            factor[-1 - i] = max(factor[-1 - i], f)
    return "/".join(f"{i},{i},b={f:g}" for i, f in enumerate(factor) if f != 1.0)


class VideoEncoder:
    """A video stream of ``codec`` in ``container`` at ``size`` (W, H, even), ``rate`` and ``time_base``.
    ``encode(rgb, pts, time_base, duration)`` converts one RGB uint8 frame to YUV 4:2:0 with ``colour``'s
    matrix and range (default: BT.709 for HD, BT.601 below), encodes and muxes it; the stream is tagged
    with ``colour``. ``flush()`` drains the encoder at the end. Packets at or after ``until`` (pts in
    ``time_base``; None: none) are encoded but not written: frames given only for the encoder's look-ahead."""

    def __init__(self, container, codec: str, size: tuple[int, int], rate: Fraction, time_base: Fraction,
                 options: dict, rotation: int = 0, colour: Colour | None = None, until: int | None = None):
        self.container, self.until = container, until
        self.stream = container.add_stream(codec, rate=rate, options=options)
        self.width, self.height = size
        self.colour = colour or default_colour(self.height)
        self.colour.tag(self.stream.codec_context)
        s = self.stream
        s.width, s.height, s.pix_fmt = self.width, self.height, "yuv420p"
        s.time_base = s.codec_context.time_base = time_base
        s.codec_context.framerate = rate
        s.thread_type = "AUTO"
        if rotation:
            s.set_display_rotation(rotation)

    def encode(self, rgb: np.ndarray, pts: int | None, time_base: Fraction | None, duration: int = 0) -> None:
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(fit_even(rgb, self.width, self.height)),
                                        format="rgb24")
        vf = vf.reformat(format="yuv420p", dst_colorspace=self.colour.sws_matrix,
                         dst_color_range=self.colour.sws_range)
        vf.pts, vf.time_base = pts, time_base or self.stream.time_base
        if duration:
            vf.duration = duration
        self._mux(self.stream.encode(vf))

    def flush(self) -> None:
        self._mux(self.stream.encode(None))

    def _mux(self, packets) -> None:
        if self.until is not None:
            packets = [p for p in packets if p.pts is None or p.pts < self.until]
        self.container.mux(packets)


def file_encoder(container, webm: bool, size: tuple[int, int], rate: Fraction, time_base: Fraction, crf: int,
                 preset: str, rotation: int = 0, colour: Colour | None = None, encoder: str = "x264",
                 zones: str = "", until: int | None = None) -> VideoEncoder:
    """x264 (``preset``, ``crf``), NVENC (``encoder`` 'nvenc', constant quality ``crf``) or, for WebM, VP9 at a
    matching quality: the encoder of ``vidstyle file``. ``zones`` (x264 at crf > 0 only: see ``join_zones``) and
    ``until`` (see ``VideoEncoder``) serve the segments of `vidstyle batch`."""
    if encoder == "nvenc" and not webm:
        return VideoEncoder(container, "h264_nvenc", size, rate, time_base, {"cq": str(crf)} | NVENC_FILE, rotation,
                            colour, until)
    if webm:
        return VideoEncoder(container, "libvpx-vp9", size, rate, time_base,
                            {"crf": str(crf + VP9_CRF_OFFSET)} | VP9_FILE, rotation, colour, until)
    x264 = {"crf": str(crf), "preset": preset} | X264_FILE
    if zones and crf:  # lossless (crf 0) has no noise to hide
        x264["x264-params"] = f"zones={zones}"
    return VideoEncoder(container, "libx264", size, rate, time_base, x264, rotation, colour, until)


def live_encoder(container, size: tuple[int, int], fps: float, time_base: Fraction) -> VideoEncoder:
    """x264 tuned for latency (ultrafast, zerolatency, no B-frames, a keyframe every second)."""
    rate = Fraction(fps).limit_denominator(1001)
    return VideoEncoder(container, "libx264", size, rate, time_base, X264_LIVE | {"g": str(max(1, round(fps)))})
