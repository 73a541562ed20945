"""The input's first audio track in an output file: copied packet for packet when the container takes its
codec, else transcoded (AAC; Opus for WebM). Items are queued and written in time order with the video."""
from __future__ import annotations

import collections
import logging
import os
from fractions import Fraction

import av

log = logging.getLogger("vidstyle")
# Codecs we transcode to when the container cannot take the input's: (codec, sample rates it accepts).
FALLBACK = {"webm": ("libopus", (48000, 24000, 16000, 12000, 8000)), "default": ("aac", None)}
FALLBACK_RATE = 48000
_MP4 = {"aac", "mp3", "ac3", "eac3", "opus", "flac", "alac"}
COPYABLE = {"mp4": _MP4, "mov": _MP4 | {"pcm_s16le", "pcm_s24le", "pcm_s16be", "pcm_f32le"}, "webm": {"opus", "vorbis"}}


class AudioTrack:
    """Audio of the input stream ``ain`` in ``container`` (an output). ``mode`` is 'copy' (give it packets) or
    'decode' (give it decoded frames); ``add(item)`` queues one, ``flush(until)`` writes those up to ``until``
    seconds (None: all), ``close()`` drains the encoder."""

    def __init__(self, container, ain, webm: bool, path: str):
        self.container, self.pending = container, collections.deque()
        name = ain.codec_context.name
        if name in COPYABLE.get(container.format.name.split(",")[0], container.supported_codecs):
            self.mode, self.stream = "copy", container.add_stream_from_template(ain)
            return
        codec, rates = FALLBACK["webm" if webm else "default"]
        rate = ain.codec_context.sample_rate or FALLBACK_RATE
        rate = rate if not rates or rate in rates else FALLBACK_RATE
        layout = "stereo" if (ain.codec_context.channels or 2) >= 2 else "mono"
        self.mode, self.stream = "decode", container.add_stream(codec, rate=rate, layout=layout)
        self.resampler = av.AudioResampler(format=self.stream.codec_context.format.name, layout=layout, rate=rate,
                                           frame_size=self.stream.codec_context.frame_size or 1024)
        self.samples: int | None = None
        log.warning("audio codec '%s' does not fit a %s file: transcoding it to %s", name,
                    os.path.splitext(path)[1] or "this", codec)

    def add(self, item) -> None:
        self.pending.append(item)

    def flush(self, until: float | None) -> None:
        while self.pending:
            item = self.pending[0]
            t = item.pts * item.time_base if item.pts is not None and item.time_base else None
            if until is not None and t is not None and t > until:
                return
            self.pending.popleft()
            if self.mode == "copy":
                item.stream = self.stream
                self.container.mux(item)
            else:
                self._transcode(item)

    def _transcode(self, frame) -> None:
        if self.samples is None:  # first frame: start at the input's time
            t = float(frame.pts * frame.time_base) if frame.pts is not None else 0.0
            self.samples = int(round(t * self.stream.codec_context.sample_rate))
        for f in self.resampler.resample(frame):
            self._encode(f)

    def _encode(self, f) -> None:
        f.pts, f.time_base = self.samples, Fraction(1, self.stream.codec_context.sample_rate)
        self.samples += f.samples
        self.container.mux(self.stream.encode(f))

    def close(self) -> None:
        """Write what is queued and drain the encoder."""
        self.flush(None)
        if self.mode == "decode" and self.samples is not None:
            for f in self.resampler.resample(None):
                self._encode(f)
            self.container.mux(self.stream.encode(None))
