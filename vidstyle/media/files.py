"""Output files that never lose anything: checks before writing, and a temporary name renamed at the end.

Rules: an input is never overwritten, an existing output only with ``overwrite``, and a file appears under
its name only once complete; a failed or interrupted write removes its temporary file.
"""
from __future__ import annotations

import logging
import os
import re
import socket

from ..errors import VidstyleError

log = logging.getLogger("vidstyle")
# temp_path's names: the writer's PID and host (several machines may write into one shared folder)
PART = re.compile(r"^\..+\.vidstyle-(\d+)(?:-([A-Za-z0-9-]+))?\.part(\.[^.]*)?$")

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


def host() -> str:
    """This machine's name as it appears in temporary file names."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "localhost"


def temp_path(out: str) -> str:
    """A hidden temporary file beside ``out`` with the same extension (so the format is known), named after this
    process and machine."""
    folder, name = os.path.split(os.path.abspath(out))
    return os.path.join(folder, f".{name}.vidstyle-{os.getpid()}-{host()}.part{os.path.splitext(name)[1]}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_parts(folder: str) -> list[str]:
    """Remove the temporary files that vidstyle runs of this machine which are gone (killed, crashed) left in
    ``folder`` (another machine's are its own business); returns their paths."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = PART.match(name)
        if m and m.group(2) in (None, host()) and int(m.group(1)) != os.getpid() and not pid_alive(int(m.group(1))):
            try:
                os.remove(os.path.join(folder, name))
                removed.append(os.path.join(folder, name))
            except OSError:
                pass
    if removed:
        log.warning("removed %d unfinished file(s) of earlier runs that did not end: %s", len(removed),
                    ", ".join(os.path.basename(p) for p in removed))
    return removed


class AtomicFile:
    """``tmp`` is where to write; ``commit()`` moves it to ``path``, ``discard()`` removes it. Both are
    idempotent and only the first of them acts. Creating one clears the folder of the temporary files of
    earlier runs that died (SIGKILL, power loss)."""

    def __init__(self, path: str):
        self.path, self.tmp, self.done = path, temp_path(path), False
        remove_stale_parts(os.path.dirname(os.path.abspath(path)))

    def commit(self) -> None:
        if not self.done:
            self.done = True
            os.replace(self.tmp, self.path)

    def discard(self) -> None:
        if not self.done:
            self.done = True
            if os.path.exists(self.tmp):
                os.remove(self.tmp)
