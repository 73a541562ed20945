"""Decoding a video file: ``FileSource`` yields its video as ``Frame`` objects and its first audio track as
packets or decoded frames, in file order."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from fractions import Fraction

import av

from ..errors import VidstyleError
from .colour import describe
from .frame import Frame, Metadata, VideoInfo
from .hardware import open_cuda_decoding

log = logging.getLogger("vidstyle")
DEFAULT_RATE = Fraction(25)  # when a file states no frame rate
DEFAULT_TIME_BASE = Fraction(1, 90000)
EARLY_END_S = 0.5  # a video that stops this much before the duration its file states was cut
TECHNICAL_TAGS = {"major_brand", "minor_version", "compatible_brands", "encoder", "duration", "bps",
                  "number_of_frames", "number_of_bytes", "rotate"}  # lower case


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


@dataclass
class Damage:
    """What a damaged input lost: packets that did not decode (and the time span they cover), an early end
    (a cut file: the decoded video stops before the length the file states), or the demuxer giving up."""

    bad_packets: int = 0
    bad_span: tuple[float, float] | None = None  # seconds, first to last bad packet
    frames: int = 0  # frames that decoded
    expected_frames: int = 0  # frames the header states (0: unknown)
    end: float | None = None  # seconds, the end of the last decoded frame
    expected_end: float | None = None  # seconds, the duration the file states
    stopped: str = ""  # why demuxing stopped early, if it did

    def bad_packet(self, t: float | None) -> None:
        self.bad_packets += 1
        if t is not None:
            lo, hi = self.bad_span or (t, t)
            self.bad_span = (min(lo, t), max(hi, t))

    @property
    def ended_early(self) -> bool:
        """The demuxer gave up, or the video stops before the file's stated duration (or, when it states
        none, with fewer frames than its header counts, damaged packets aside)."""
        if self.stopped:
            return True
        if self.expected_end:
            return (self.end or 0.0) < self.expected_end - EARLY_END_S
        return bool(self.expected_frames) and self.frames + self.bad_packets < self.expected_frames

    def summary(self) -> str:
        """One sentence, empty when nothing was lost."""
        parts = []
        if self.bad_packets:
            span = f" ({self.bad_span[0]:.2f}-{self.bad_span[1]:.2f} s)" if self.bad_span else ""
            parts.append(f"{self.bad_packets} damaged video packet(s) skipped{span}")
        if self.ended_early:
            total = f" of {self.expected_end:.2f} s" if self.expected_end else ""
            why = f": {self.stopped}" if self.stopped else ""
            parts.append(f"the video ends early, at {self.end or 0:.2f} s{total}{why}")
        if not parts:
            return ""
        frames = f"{self.frames} of {self.expected_frames}" if self.expected_frames else f"{self.frames}"
        return "input is damaged: " + "; ".join(parts) + f"; kept the {frames} frames that decode"


class FileSource:
    """Decode a video file with PyAV. Iterate for ``("video", Frame)`` and ``("audio", packet_or_frame)``
    items in file order; audio is given as packets (``audio="copy"``), decoded frames (``"decode"``) or
    skipped (``None``). Damage is survived: a packet that does not decode is skipped, a cut file ends where
    it ends, and ``damage`` says what was lost (also logged as one warning)."""

    def __init__(self, path: str, hwaccel: bool = False):
        """``hwaccel``: decode on the GPU (CUDA) when the machine can, else on the CPU after a notice."""
        self.path = path
        self.container = open_input(path)
        if hwaccel and (gpu := open_cuda_decoding(path)) is not None:
            self.container.close()
            self.container = gpu
        if not self.container.streams.video:
            self.container.close()
            raise VidstyleError(f"input has no video stream: {path}")
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = "AUTO"
        self.audio_stream = self.container.streams.audio[0] if self.container.streams.audio else None
        self.dropped = [s for s in self.container.streams if s is not self.stream and s is not self.audio_stream]
        self.info = self._probe()
        self.damage = Damage(expected_frames=self.stream.frames or 0,
                             expected_end=self.container.duration / 1e6 if self.container.duration else None)

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

    def metadata(self) -> Metadata:
        """The input's descriptive tags (title, comment, artist, creation_time, language, ...) of the container,
        the video stream and the kept audio stream, without those that describe the encoding (see ``Metadata``)."""
        audio = self.audio_stream.metadata if self.audio_stream is not None else {}
        return Metadata(*(descriptive(m) for m in (self.container.metadata, self.stream.metadata, audio)))

    def describe_dropped(self) -> str:
        return ", ".join(f"#{s.index} {s.type}" for s in self.dropped)

    def _packets(self, streams):
        """The demuxed packets; a demuxer error ends them (noted in ``damage``) instead of raising."""
        demux = self.container.demux(streams)
        while True:
            try:
                yield next(demux)
            except StopIteration:
                return
            except av.error.FFmpegError as e:
                self.damage.stopped = _short(e)
                return

    def items(self, audio: str | None = "copy"):
        streams = [self.stream] + ([self.audio_stream] if audio and self.audio_stream else [])
        last_pts = None
        step = max(1, int(round(1 / (self.info.rate * self.info.time_base)))) if self.info.rate else 1
        colour, tb, damage = self.info.colour, self.stream.time_base, self.damage
        for packet in self._packets(streams):
            if packet.stream is not self.stream:
                if packet.dts is not None:
                    yield from self._audio(packet, audio)
                continue
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                damage.bad_packet(float(packet.pts * tb) if packet.pts is not None and tb else None)
                continue
            for vf in frames:
                pts = vf.pts if vf.pts is not None else (0 if last_pts is None else last_pts + step)
                if last_pts is not None and pts <= last_pts:
                    pts = last_pts + 1  # broken timestamps: keep them strictly increasing
                last_pts = pts
                rgb = vf.to_ndarray(format="rgb24", src_colorspace=colour.sws_matrix, src_color_range=colour.sws_range)
                yield "video", Frame(rgb, pts, tb, int(vf.duration or 0), damage.frames)
                damage.frames += 1
                damage.end = float((pts + (vf.duration or step)) * tb) if tb else None
        if damage.summary():
            log.warning("%s", damage.summary())

    def _audio(self, packet, mode: str | None):
        """An audio packet as items: itself (copy) or its decoded frames; a damaged one is dropped."""
        if mode == "copy":
            yield "audio", packet
            return
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            return
        for f in frames:
            yield "audio", f

    def close(self) -> None:
        self.container.close()


def descriptive(tags: dict) -> dict[str, str]:
    """``tags`` without those the muxer writes anew or that would be wrong for a re-encoded output (brands,
    encoder, durations, sizes, statistics, the old rotation tag)."""
    return {k: v for k, v in tags.items()
            if k.lower() not in TECHNICAL_TAGS and not k.lower().startswith("_statistics")}


def _first_frame_rotation(path: str) -> int:
    """Display rotation (degrees, counter-clockwise) of a file's first video frame; 0 if it has none."""
    try:
        with av.open(path, metadata_errors="ignore") as c:
            for vf in c.decode(video=0):
                return int(vf.rotation or 0)
    except av.error.FFmpegError:
        pass
    return 0
