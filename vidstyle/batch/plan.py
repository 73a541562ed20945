"""Tasks of a batch: plain data that a worker (this process or a Ray actor) runs with its ``ModelRunner``."""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import VidstyleError


@dataclass(frozen=True)
class FileTask:
    """One whole input ``src`` stylized into ``dst`` (``frames``: its frame count, for progress; 0: unknown).
    ``key`` names it in the manifest, ``fp`` is its fingerprint."""

    key: str
    src: str
    dst: str
    frames: int
    fp: str

    def run(self, runner, options, on_frame=None) -> dict:
        """Run it with ``runner`` and the VideoOptions ``options``; returns what the manifest records."""
        from ..jobs.video import stylize_video

        r = stylize_video(self.src, self.dst, options, runner=runner, on_frame=on_frame)
        return {"frames": r.frames, "seconds": round(r.seconds, 3), "damaged": r.damaged}


def count_frames(src: str) -> int:
    """The frame count the input's header states (or its duration times its rate; 0: unknown). Raises a one-line
    VidstyleError for a missing or unreadable input."""
    from ..media.decode import FileSource

    source = FileSource(src)
    try:
        return source.info.frames
    finally:
        source.close()


def error_line(e: BaseException) -> str:
    """One line for a task's failure: a VidstyleError's message, an OSError's reason and file, else the
    exception's type and first line."""
    if isinstance(e, VidstyleError):
        return str(e)
    if isinstance(e, OSError) and e.strerror:
        return f"{e.strerror}: {e.filename}" if e.filename else e.strerror
    msg = str(e).splitlines()[0] if str(e) else ""
    return f"{type(e).__name__}: {msg}"


def output_key(dst: str) -> str:
    return os.path.basename(dst)
