"""Frame sources. A source yields ``Frame`` objects; ``FileSource`` also hands out the audio of a file."""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from fractions import Fraction

import av
import numpy as np

from .errors import VidstyleError

log = logging.getLogger("vidstyle")


@dataclass
class Frame:
    """rgb: uint8 (H, W, 3); pts in ``time_base`` units (None when unknown); t_capture: monotonic seconds."""

    rgb: np.ndarray
    pts: int | None = None
    time_base: Fraction | None = None
    duration: int = 0
    index: int = 0
    t_capture: float = field(default_factory=time.monotonic)


@dataclass
class VideoInfo:
    width: int
    height: int
    rate: Fraction
    time_base: Fraction
    frames: int  # an estimate; 0 when unknown
    rotation: int  # display rotation in degrees, counter-clockwise
    audio: object | None  # the input's first audio stream (av stream), if any


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
        rate = s.average_rate or s.guessed_rate or s.base_rate or Fraction(25)
        frames = s.frames
        if not frames and s.duration and s.time_base:
            frames = int(round(float(s.duration * s.time_base * rate)))
        elif not frames and self.container.duration:
            frames = int(round(self.container.duration / 1e6 * float(rate)))
        return VideoInfo(cc.width, cc.height, Fraction(rate), s.time_base or Fraction(1, 90000), frames or 0,
                         _first_frame_rotation(self.path), self.audio_stream)

    def describe_dropped(self) -> str:
        return ", ".join(f"#{s.index} {s.type}" for s in self.dropped)

    def items(self, audio: str | None = "copy"):
        streams = [self.stream] + ([self.audio_stream] if audio and self.audio_stream else [])
        index, last_pts = 0, None
        step = max(1, int(round(1 / (self.info.rate * self.info.time_base)))) if self.info.rate else 1
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
                    yield "video", Frame(vf.to_ndarray(format="rgb24"), pts, self.stream.time_base,
                                         int(vf.duration or 0), index)
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


def read_image(path: str) -> np.ndarray:
    """An image file -> RGB uint8 (H, W, 3)."""
    from .styles import load_image

    return load_image(path, what="input")
