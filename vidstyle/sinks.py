"""Frame sinks. ``VideoFileSink`` encodes with PyAV (H.264, or VP9 for .webm) and muxes the input's audio.

The file is written to a temporary name beside the target and renamed by ``close()``; ``abort()`` removes
it, so an interrupted or failed run never leaves a half-written output.
"""
from __future__ import annotations

import collections
import logging
import os
from fractions import Fraction

import av
import cv2
import numpy as np
from PIL import Image

from .errors import VidstyleError
from .sources import Frame, VideoInfo

log = logging.getLogger("vidstyle")
# Audio codecs we transcode to when the container cannot take the input's: (codec, sample rates it accepts).
AUDIO_FALLBACK = {"webm": ("libopus", (48000, 24000, 16000, 12000, 8000)), "default": ("aac", None)}
# Audio codecs copied without re-encoding, per output format (others: whatever FFmpeg says the muxer takes).
_MP4_AUDIO = {"aac", "mp3", "ac3", "eac3", "opus", "flac", "alac"}
COPYABLE_AUDIO = {"mp4": _MP4_AUDIO, "mov": _MP4_AUDIO | {"pcm_s16le", "pcm_s24le", "pcm_s16be", "pcm_f32le"},
                  "webm": {"opus", "vorbis"}}


def check_output_path(out: str, overwrite: bool, inputs: tuple[str, ...] = ()) -> None:
    """Refuse to clobber an input or an existing file (without overwrite) or to write into a missing or
    read-only folder. Raises VidstyleError."""
    for i in inputs:
        if os.path.exists(out) and os.path.exists(i) and os.path.samefile(out, i):
            raise VidstyleError(f"output is the same file as the input: {out}")
        if os.path.abspath(out) == os.path.abspath(i):
            raise VidstyleError(f"output is the same file as the input: {out}")
    if os.path.isdir(out):
        raise VidstyleError(f"output is a folder: {out}")
    if os.path.exists(out) and not overwrite:
        raise VidstyleError(f"output exists: {out} (use --overwrite to replace it)")
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise VidstyleError(f"output folder does not exist: {folder}")
    if not os.access(folder, os.W_OK):
        raise VidstyleError(f"output folder is not writable: {folder}")


def temp_path(out: str) -> str:
    """A hidden temporary file beside ``out`` with the same extension (so the format is known)."""
    folder, name = os.path.split(os.path.abspath(out))
    return os.path.join(folder, f".{name}.vidstyle-{os.getpid()}.part{os.path.splitext(name)[1]}")


def even(n: int) -> int:
    return max(2, n - n % 2)


class VideoFileSink:
    """Encode RGB frames of size ``size`` (W, H) with the input's timestamps and copy/transcode its audio.

    ``write(frame)`` takes a Frame whose rgb is (H, W, 3) uint8; ``audio(item)`` queues an audio packet (copy
    mode) or decoded frame (transcode mode). Odd sizes are cropped by one pixel (4:2:0 needs even sizes).
    """

    def __init__(self, path: str, info: VideoInfo, size: tuple[int, int] | None = None, crf: int = 18,
                 preset: str = "veryfast", audio_stream=None):
        self.path, self.tmp, self.info = path, temp_path(path), info
        self.requested = size or (info.width, info.height)  # (W, H)
        self.w, self.h = even(self.requested[0]), even(self.requested[1])
        ext = os.path.splitext(path)[1].lower()
        self.webm = ext == ".webm"
        try:
            self.out = av.open(self.tmp, "w", format=format_for(ext))
        except (av.error.FFmpegError, ValueError) as e:
            raise VidstyleError(f"cannot write a video with extension '{ext or '(none)'}': {e}") from None
        self.video = self._add_video(crf, preset)
        self.audio_in, self.audio_out, self.resampler = audio_stream, None, None
        self.audio_mode = self._add_audio(audio_stream) if audio_stream is not None else None
        self.pending_audio: collections.deque = collections.deque()
        self.frames = 0
        self.closed = False

    def _add_video(self, crf: int, preset: str):
        info = self.info
        if self.webm:
            opts = {"crf": str(crf + 12), "b": "0", "deadline": "realtime", "cpu-used": "8", "row-mt": "1"}
            stream = self.out.add_stream("libvpx-vp9", rate=info.rate, options=opts)
        else:
            opts = {"crf": str(crf), "preset": preset, "bf": "0"}  # no B-frames: exact VFR track duration
            stream = self.out.add_stream("libx264", rate=info.rate, options=opts)
        stream.width, stream.height, stream.pix_fmt = self.w, self.h, "yuv420p"
        stream.time_base = info.time_base
        stream.codec_context.time_base = info.time_base
        stream.codec_context.framerate = info.rate
        stream.thread_type = "AUTO"
        if info.rotation:
            stream.set_display_rotation(info.rotation)
        return stream

    def _add_audio(self, ain) -> str:
        name = ain.codec_context.name
        if name in COPYABLE_AUDIO.get(self.out.format.name.split(",")[0], self.out.supported_codecs):
            self.audio_out = self.out.add_stream_from_template(ain)
            return "copy"
        codec, rates = AUDIO_FALLBACK["webm" if self.webm else "default"]
        rate = ain.codec_context.sample_rate or 48000
        if rates and rate not in rates:
            rate = 48000
        layout = "stereo" if (ain.codec_context.channels or 2) >= 2 else "mono"
        self.audio_out = self.out.add_stream(codec, rate=rate, layout=layout)
        frame_size = self.audio_out.codec_context.frame_size or 1024
        self.resampler = av.AudioResampler(format=self.audio_out.codec_context.format.name, layout=layout,
                                           rate=rate, frame_size=frame_size)
        self.audio_samples = None
        log.warning("audio codec '%s' does not fit a %s file: transcoding it to %s", name,
                    os.path.splitext(self.path)[1] or "this", codec)
        return "decode"

    def audio(self, item) -> None:
        """Queue an audio packet (copy) or decoded audio frame (transcode) from the input."""
        if self.audio_out is not None:
            self.pending_audio.append(item)

    def _flush_audio(self, until: float | None) -> None:
        while self.pending_audio:
            item = self.pending_audio[0]
            t = item.pts * item.time_base if item.pts is not None and item.time_base else None
            if until is not None and t is not None and t > until:
                return
            self.pending_audio.popleft()
            if self.audio_mode == "copy":
                item.stream = self.audio_out
                self.out.mux(item)
            else:
                self._encode_audio(item)

    def _encode_audio(self, frame) -> None:
        if self.audio_samples is None:  # first frame: start at the input's time
            t = float(frame.pts * frame.time_base) if frame.pts is not None else 0.0
            self.audio_samples = int(round(t * self.audio_out.codec_context.sample_rate))
        for f in self.resampler.resample(frame):
            self._encode_audio_frame(f)

    def _encode_audio_frame(self, f) -> None:
        f.pts, f.time_base = self.audio_samples, Fraction(1, self.audio_out.codec_context.sample_rate)
        self.audio_samples += f.samples
        self.out.mux(self.audio_out.encode(f))

    def write(self, frame: Frame) -> None:
        rgb = frame.rgb
        if rgb.shape[1] != self.w or rgb.shape[0] != self.h:
            if abs(rgb.shape[1] - self.w) <= 1 and abs(rgb.shape[0] - self.h) <= 1:
                rgb = rgb[: self.h, : self.w]
            else:
                rgb = cv2.resize(rgb, (self.w, self.h), interpolation=cv2.INTER_AREA)
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        vf.pts, vf.time_base = frame.pts, frame.time_base or self.info.time_base
        if frame.duration:
            vf.duration = frame.duration
        if frame.pts is not None and vf.time_base:
            self._flush_audio(float(frame.pts * vf.time_base))
        self.out.mux(self.video.encode(vf))
        self.frames += 1

    def close(self) -> None:
        """Flush encoders, finish the file and move it into place."""
        if self.closed:
            return
        self.out.mux(self.video.encode(None))
        self._flush_audio(None)
        if self.audio_mode == "decode" and self.audio_samples is not None:
            for f in self.resampler.resample(None):
                self._encode_audio_frame(f)
            self.out.mux(self.audio_out.encode(None))
        self.out.close()
        self.closed = True
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        """Drop the partial output."""
        if self.closed:
            return
        self.closed = True
        try:
            self.out.close()
        except Exception:  # noqa: BLE001 - the file is being thrown away anyway
            pass
        if os.path.exists(self.tmp):
            os.remove(self.tmp)


def format_for(ext: str) -> str | None:
    return {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm",
            ".avi": "avi", ".ts": "mpegts"}.get(ext)


def image_format(path: str) -> str:
    """PIL format name for an output image path, or a VidstyleError for an unknown extension."""
    fmt = Image.registered_extensions().get(os.path.splitext(path)[1].lower())
    if fmt is None or fmt not in Image.SAVE:
        raise VidstyleError(f"unknown image extension: {path} (use .jpg, .png or .webp)")
    return fmt


def write_image(path: str, rgb: np.ndarray) -> None:
    """Write an RGB uint8 (H, W, 3) image atomically (temp file beside it, then rename)."""
    tmp = temp_path(path)
    fmt = image_format(path)
    try:
        Image.fromarray(rgb).save(tmp, format=fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP") else {}))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
