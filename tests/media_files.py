"""Small real media files for tests, written with PyAV: video with audio, odd sizes, VFR, rotation."""
from __future__ import annotations

import struct
import zlib
from fractions import Fraction

import av
import numpy as np


def textured_frame(h: int, w: int, t: int) -> np.ndarray:
    """A deterministic moving colour pattern, RGB uint8 (h, w, 3)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 127 + 100 * np.sin((x + 2 * t) / 7.0)
    g = 127 + 100 * np.cos((y - t) / 5.0)
    b = 127 + 100 * np.sin((x + y) / 11.0 + t / 3.0)
    return np.stack([r, g, b], -1).clip(0, 255).astype(np.uint8)


def make_video(path: str, n: int = 12, size: tuple[int, int] = (64, 48), rate: int = 25,
               pts: list[int] | None = None, time_base: Fraction | None = None, audio: str | None = "aac",
               rotation: int = 0, codec: str = "libx264", pix_fmt: str = "yuv420p",
               container_options: dict | None = None, gop: int | None = None) -> str:
    """Write ``n`` frames of size (W, H); ``pts`` in ``time_base`` units gives variable frame rate;
    ``audio`` is an audio codec (aac, pcm_s16le, libopus...) for a 440 Hz tone of the same duration;
    ``container_options`` go to the muxer (e.g. {"movflags": "faststart"}); ``gop``: a keyframe every this many
    frames (x264; default: its own, 250)."""
    w, h = size
    tb = time_base or Fraction(1, rate * 100)
    pts = pts or [round(i / rate / tb) for i in range(n)]
    x264 = {"preset": "ultrafast"} | ({"g": str(gop), "keyint_min": str(gop)} if gop else {})
    with av.open(path, "w", options=container_options or {}) as out:
        vs = out.add_stream(codec, rate=rate, options=x264 if codec == "libx264" else {})
        vs.width, vs.height, vs.pix_fmt = w, h, pix_fmt
        vs.time_base = tb
        vs.codec_context.time_base = tb
        if rotation:
            vs.set_display_rotation(rotation)
        a = None
        if audio:
            a = out.add_stream(audio, rate=48000 if audio == "libopus" else 44100, layout="stereo")
        duration = float((pts[-1] - pts[0]) * tb) + 1 / rate
        for i, p in enumerate(pts):
            vf = av.VideoFrame.from_ndarray(textured_frame(h, w, i), format="rgb24")
            vf.pts, vf.time_base = p, tb
            out.mux(vs.encode(vf))
        out.mux(vs.encode(None))
        if a is not None:
            _write_tone(out, a, duration)
    return path


def _write_tone(out, stream, seconds: float) -> None:
    cc = stream.codec_context
    rate, fs = cc.sample_rate, cc.frame_size or 1024
    total = int(seconds * rate)
    fmt = cc.format.name
    for start in range(0, total, fs):
        k = min(fs, total - start)
        t = (np.arange(start, start + k) / rate).astype(np.float32)
        tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        if fmt.startswith("s16"):
            data = (np.stack([tone, tone]) * 32767).astype(np.int16)
            data = data.T.reshape(1, -1) if not fmt.endswith("p") else data
        else:
            data = np.stack([tone, tone]) if fmt.endswith("p") else np.stack([tone, tone]).T.reshape(1, -1)
        af = av.AudioFrame.from_ndarray(data, format=fmt, layout="stereo")
        af.sample_rate, af.pts, af.time_base = rate, start, Fraction(1, rate)
        out.mux(stream.encode(af))
    out.mux(stream.encode(None))


def probe(path: str) -> dict:
    """Frame count, per-frame pts (seconds), size, rotation, audio codec and durations of a file."""
    with av.open(path) as c:
        vs = c.streams.video[0]
        audio = c.streams.audio[0] if c.streams.audio else None
        times, rotation, size = [], 0, None
        for i, f in enumerate(c.decode(vs)):
            times.append(float(f.pts * f.time_base))
            if i == 0:
                rotation, size = int(f.rotation or 0), (f.width, f.height)
        info = {"frames": len(times), "times": times, "size": size, "rotation": rotation,
                "rate": float(vs.average_rate) if vs.average_rate else None,
                "video_duration": float(vs.duration * vs.time_base) if vs.duration else None,
                "audio": audio.codec_context.name if audio else None,
                "audio_duration": float(audio.duration * audio.time_base) if audio and audio.duration else None}
    return info


def png_claiming(w: int, h: int) -> bytes:
    """A PNG whose header states w x h pixels (8-bit RGB), with no image data: opening it reads only the header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")
