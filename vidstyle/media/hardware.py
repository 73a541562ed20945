"""Hardware video decoding (CUDA/NVDEC) and encoding (NVENC), where PyAV's FFmpeg and the machine have them.

Each is tried once; when it is not there (no NVIDIA driver, a build without it), the caller falls back to
the CPU codecs after one notice.
"""
from __future__ import annotations

import functools
import io
import logging

import av
import numpy as np

log = logging.getLogger("vidstyle")
NVENC = "h264_nvenc"
PROBE_SIZE = 64


def _reason(e: Exception) -> str:
    return (getattr(e, "strerror", None) or str(e) or type(e).__name__).splitlines()[0][:100]


@functools.lru_cache(maxsize=1)
def nvenc_problem() -> str | None:
    """None when an NVENC H.264 encoder opens here, else why not (one phrase)."""
    if NVENC not in av.codecs_available:
        return "this FFmpeg build has no h264_nvenc"
    try:
        with av.open(io.BytesIO(), "w", format="mp4") as out:
            s = out.add_stream(NVENC, rate=25)
            s.width, s.height, s.pix_fmt = PROBE_SIZE, PROBE_SIZE, "yuv420p"
            frame = av.VideoFrame.from_ndarray(np.zeros((PROBE_SIZE, PROBE_SIZE, 3), np.uint8), format="rgb24")
            out.mux(s.encode(frame.reformat(format="yuv420p")))
            out.mux(s.encode(None))
    except (av.error.FFmpegError, OSError, ValueError) as e:
        return f"NVENC does not open ({_reason(e)})"
    return None


def open_cuda_decoding(path: str):
    """The file opened for decoding on the GPU (frames come back to system memory), or None with a notice
    when the machine or the build cannot."""
    try:
        from av.codec.hwaccel import HWAccel

        return av.open(path, metadata_errors="ignore", hwaccel=HWAccel("cuda", allow_software_fallback=True))
    except (ImportError, av.error.FFmpegError, OSError, ValueError) as e:
        log.warning("hardware decoding is not available here (%s): decoding on the CPU", _reason(e))
        return None


def pick_encoder(asked: str, device_type: str) -> str:
    """'x264' or 'nvenc' for ``--encoder`` ``asked`` ('auto', 'x264', 'nvenc'): auto means NVENC on a CUDA run
    where it opens. Asking for NVENC where it does not open falls back to x264 with a notice."""
    if asked == "x264" or (asked == "auto" and device_type != "cuda"):
        return "x264"
    problem = nvenc_problem()
    if problem is None:
        return "nvenc"
    if asked == "nvenc" or device_type == "cuda":
        log.warning("%s: encoding with x264 on the CPU", problem)
    return "x264"
