"""Decoding a video file: ``FileSource`` yields its video as ``Frame`` objects and its first audio track as
packets or decoded frames, in file order."""
from __future__ import annotations

import logging
import os
from fractions import Fraction

import av

from ..errors import VidstyleError
from .colour import describe
from .frame import Frame, VideoInfo

log = logging.getLogger("vidstyle")
DEFAULT_RATE = Fraction(25)  # when a file states no frame rate
DEFAULT_TIME_BASE = Fraction(1, 90000)


def open_input(path: str) -> av.container.InputContainer:
    """Open a media file for reading, turning every failure into a one-line VidstyleError."""
    if not os.path.exists(path):
        raise VidstyleError(f"input not found: {path}")
    if os.path.isdir(path):
        raise VidstyleError(f"input is a folder, not a video: {path}")
    if not os.access(path, os.R_OK):
        raise VidstyleError(f"input is not readable (permission denied): {path}")
    try:
        return av.open(path, metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError) as e:
        raise VidstyleError(f"input is not a video file FFmpeg can read: {path} ({_short(e)})") from None


def _short(e: Exception) -> str:
    return (getattr(e, "strerror", None) or str(e)).splitlines()[0][:120]


class FileSource:
    """Decode a video file with PyAV. Iterate for ``("video", Frame)`` and ``("audio", packet_or_frame)``
    items in file order; audio is given as packets (``audio="copy"``), decoded frames (``"decode"``) or
    skipped (``None``)."""

    def __init__(self, path: str):
        self.path = path
        self.container = open_input(path)
        if not self.container.streams.video:
            self.container.close()
            raise VidstyleError(f"input has no video stream: {path}")
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = "AUTO"
        self.audio_stream = self.container.streams.audio[0] if self.container.streams.audio else None
        self.dropped = [s for s in self.container.streams if s is not self.stream and s is not self.audio_stream]
        self.truncated_after: int | None = None
        self.info = self._probe()

    def _probe(self) -> VideoInfo:
        s = self.stream
        cc = s.codec_context
        rate = s.average_rate or s.guessed_rate or s.base_rate or DEFAULT_RATE
        frames = s.frames
        if not frames and s.duration and s.time_base:
            frames = int(round(float(s.duration * s.time_base * rate)))
        elif not frames and self.container.duration:
            frames = int(round(self.container.duration / 1e6 * float(rate)))
        return VideoInfo(cc.width, cc.height, Fraction(rate), s.time_base or DEFAULT_TIME_BASE, frames or 0,
                         _first_frame_rotation(self.path), self.audio_stream, describe(cc))

    def describe_dropped(self) -> str:
        return ", ".join(f"#{s.index} {s.type}" for s in self.dropped)

    def items(self, audio: str | None = "copy"):
        streams = [self.stream] + ([self.audio_stream] if audio and self.audio_stream else [])
        index, last_pts = 0, None
        step = max(1, int(round(1 / (self.info.rate * self.info.time_base)))) if self.info.rate else 1
        colour = self.info.colour
        try:
            for packet in self.container.demux(streams):
                if packet.stream is not self.stream:
                    if packet.dts is None:
                        continue
                    yield from (("audio", x) for x in ([packet] if audio == "copy" else packet.decode()))
                    continue
                for vf in packet.decode():
                    pts = vf.pts if vf.pts is not None else (0 if last_pts is None else last_pts + step)
                    if last_pts is not None and pts <= last_pts:
                        pts = last_pts + 1  # broken timestamps: keep them strictly increasing
                    last_pts = pts
                    rgb = vf.to_ndarray(format="rgb24", src_colorspace=colour.sws_matrix,
                                        src_color_range=colour.sws_range)
                    yield "video", Frame(rgb, pts, self.stream.time_base, int(vf.duration or 0), index)
                    index += 1
        except av.error.FFmpegError as e:
            self.truncated_after = index
            log.warning("input is damaged after frame %d (%s): keeping the %d frames that decoded", index,
                        _short(e), index)

    def close(self) -> None:
        self.container.close()


def _first_frame_rotation(path: str) -> int:
    """Display rotation (degrees, counter-clockwise) of a file's first video frame; 0 if it has none."""
    try:
        with av.open(path, metadata_errors="ignore") as c:
            for vf in c.decode(video=0):
                return int(vf.rotation or 0)
    except av.error.FFmpegError:
        pass
    return 0
