"""Output files that never lose anything: checks before writing, and a temporary name renamed at the end.

Rules: an input is never overwritten, an existing output only with ``overwrite``, and a file appears under
its name only once complete; a failed or interrupted write removes its temporary file.
"""
from __future__ import annotations

import os

from ..errors import VidstyleError

CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm", ".avi": "avi",
              ".ts": "mpegts"}


def check_output_path(out: str, overwrite: bool, inputs: tuple[str, ...] = ()) -> None:
    """Refuse to clobber an input or an existing file (without overwrite) or to write into a missing or
    read-only folder. Raises VidstyleError."""
    for i in inputs:
        same = os.path.exists(out) and os.path.exists(i) and os.path.samefile(out, i)
        if same or os.path.abspath(out) == os.path.abspath(i):
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


def container_format(path: str) -> str | None:
    """The FFmpeg muxer for a video file name (by extension), or None when we do not write that kind."""
    return CONTAINERS.get(os.path.splitext(path)[1].lower())


def temp_path(out: str) -> str:
    """A hidden temporary file beside ``out`` with the same extension (so the format is known)."""
    folder, name = os.path.split(os.path.abspath(out))
    return os.path.join(folder, f".{name}.vidstyle-{os.getpid()}.part{os.path.splitext(name)[1]}")


class AtomicFile:
    """``tmp`` is where to write; ``commit()`` moves it to ``path``, ``discard()`` removes it. Both are
    idempotent and only the first of them acts."""

    def __init__(self, path: str):
        self.path, self.tmp, self.done = path, temp_path(path), False

    def commit(self) -> None:
        if not self.done:
            self.done = True
            os.replace(self.tmp, self.path)

    def discard(self) -> None:
        if not self.done:
            self.done = True
            if os.path.exists(self.tmp):
                os.remove(self.tmp)
