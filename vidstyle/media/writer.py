"""``VideoFileSink``: the output file of ``vidstyle file`` (and of live recordings): video from RGB frames
with the input's timestamps, plus the input's audio, written under a temporary name and renamed by
``close()``; ``abort()`` removes it, so a failed or interrupted run never leaves a half-written file."""
from __future__ import annotations

import os

import av

from ..errors import VidstyleError
from .audio import AudioTrack
from .encode import even, file_encoder
from .files import AtomicFile, container_format
from .frame import Frame, Metadata, VideoInfo


class VideoFileSink:
    """Encode RGB frames of size ``size`` (W, H; default the input's) with their timestamps, and the audio
    items of ``audio_stream`` (the input's first audio track) given to ``audio(item)``.

    ``write(frame)`` takes a Frame whose rgb is (H, W, 3) uint8; ``audio_mode`` says what ``audio`` takes:
    'copy' (packets), 'decode' (decoded frames) or None (no audio). ``metadata``: the input's tags to copy
    (``FileSource.metadata()``; None: none). ``zones`` and ``until``: see ``encode.file_encoder`` (segments)."""

    def __init__(self, path: str, info: VideoInfo, size: tuple[int, int] | None = None, crf: int = 18,
                 preset: str = "veryfast", audio_stream=None, encoder: str = "x264", metadata: Metadata | None = None,
                 zones: str = "", until: int | None = None):
        self.path, self.info, self.file = path, info, AtomicFile(path)
        self.requested = size or (info.width, info.height)  # (W, H)
        ext = os.path.splitext(path)[1].lower()
        try:
            self.out = av.open(self.file.tmp, "w", format=container_format(path))
        except (av.error.FFmpegError, ValueError) as e:
            raise VidstyleError(f"cannot write a video with extension '{ext or '(none)'}': {e}") from None
        webm = ext == ".webm"
        size = (even(self.requested[0]), even(self.requested[1]))
        self.video = file_encoder(self.out, webm, size, info.rate, info.time_base, crf, preset, info.rotation,
                                  info.colour, encoder, zones, until)
        self.track = AudioTrack(self.out, audio_stream, webm, path) if audio_stream is not None else None
        if metadata is not None:  # written with the header, at the first packet
            self.out.metadata.update(metadata.container)
            self.video.stream.metadata.update(metadata.video)
            if self.track:
                self.track.stream.metadata.update(metadata.audio)
        self.frames = 0

    @property
    def audio_mode(self) -> str | None:
        return self.track.mode if self.track else None

    def audio(self, item) -> None:
        """Queue an audio packet (copy) or decoded audio frame (decode) of the input."""
        if self.track:
            self.track.add(item)

    def write(self, frame: Frame) -> None:
        tb = frame.time_base or self.info.time_base
        if self.track and frame.pts is not None:
            self.track.flush(float(frame.pts * tb))
        self.video.encode(frame.rgb, frame.pts, tb, frame.duration)
        self.frames += 1

    def close(self) -> None:
        """Flush the encoders, finish the file and move it into place."""
        if self.file.done:
            return
        self.video.flush()
        if self.track:
            self.track.close()
        self.out.close()
        self.file.commit()

    def abort(self) -> None:
        """Drop the partial output."""
        if self.file.done:
            return
        try:
            self.out.close()
        except Exception:  # noqa: BLE001 - the file is being thrown away anyway
            pass
        self.file.discard()
