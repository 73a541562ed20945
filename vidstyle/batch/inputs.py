"""INPUT arguments (files, folders, globs) -> the videos to stylize and their output names in OUTDIR."""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass

VIDEO_EXTENSIONS = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts", ".mpg", ".mpeg",
                    ".wmv", ".flv", ".3gp", ".ogv"}  # what a folder is searched for
GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Item:
    """One input and its output path; ``error``: why it cannot run (it fails alone, with this line)."""

    src: str
    dst: str
    error: str = ""


def expand(args: list[str]) -> list[str]:
    """Paths of ``args`` in order: a file as given (even a missing one: it fails alone), a folder's video files
    (recursively, sorted), a glob's matching files (sorted); duplicates (the same file twice) are kept once.
    A glob matching nothing and a folder with no video are returned as given (they fail alone)."""
    found, seen = [], set()
    for arg in args:
        if os.path.isdir(arg):
            paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(arg) for f in fs
                           if os.path.splitext(f)[1].lower() in VIDEO_EXTENSIONS and not f.startswith("."))
        elif not os.path.exists(arg) and GLOB_CHARS & set(arg):
            paths = sorted(p for p in glob.glob(arg, recursive=True) if os.path.isfile(p))
        else:
            paths = [arg]
        for p in paths or [arg]:
            key = os.path.realpath(p)
            if key not in seen:
                seen.add(key)
                found.append(p)
    return found


def items(args: list[str], outdir: str, ext: str) -> list[Item]:
    """Each input with its output OUTDIR/<stem>.<ext>; a second input of the same stem is refused (its error
    names the first), as are a folder without videos and a glob matching nothing."""
    out, taken = [], {}
    for src in expand(args):
        dst = os.path.join(outdir, os.path.splitext(os.path.basename(src.rstrip(os.sep)))[0] + "." + ext)
        error = ""
        if os.path.isdir(src):
            error = f"no video files in folder: {src}"
        elif not os.path.exists(src) and GLOB_CHARS & set(src):
            error = f"no file matches: {src}"
        elif dst in taken:
            error = f"same output name as {taken[dst]}: {dst} (rename one of them)"
        else:
            taken[dst] = src
        out.append(Item(src, dst, error))
    return out
