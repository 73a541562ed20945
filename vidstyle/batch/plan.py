"""Tasks of a batch: plain data that a worker (this process or a Ray actor) runs with its ``ModelRunner``."""
from __future__ import annotations

import dataclasses
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


@dataclass(frozen=True)
class SegmentTask:
    """Frames [start, end) of ``src`` (pts; ``end`` None: to the end) into the segment file ``part``, primed by
    those from ``first`` on (the warm-up), followed by ``lookahead`` frames that the encoder only looks ahead at,
    with the x264 ``zones`` of its joins; ``frames``: how many are stylized, warm-up and look-ahead included."""

    key: str
    src: str
    part: str
    first: int
    start: int
    end: int | None
    frames: int
    fp: str
    lookahead: int = 0
    zones: str = ""

    def run(self, runner, options, on_frame=None) -> dict:
        from ..jobs.segment import stylize_segment

        r = stylize_segment(self.src, self.part, self.first, self.start, self.end, self.frames,
                            dataclasses.replace(options, overwrite=True), runner, on_frame, self.lookahead, self.zones)
        return {"frames": r.frames, "seconds": round(r.seconds, 3), "damaged": r.damaged}


def segment_tasks(src: str, dst: str, seconds: float, warmup: int, options) -> list[SegmentTask]:
    """The segments of ``src`` at its keyframes, about ``seconds`` long, each primed by ``warmup`` frames
    before it and followed by the frames of the encoder's look-ahead (``media.encode.segment_lookahead``), with
    the x264 zones that hide its joins (``media.encode.join_zones``); their files go to a hidden folder beside
    ``dst``. [] when it is too short to cut. Each is fingerprinted with ``options`` (VideoOptions) and its range."""
    from ..media.encode import join_zones, segment_lookahead
    from ..media.segments import cuts, index
    from .manifest import fingerprint

    ix = index(src)
    starts = cuts(ix, seconds)
    if len(starts) < 2:
        return []
    folder, ext = segment_folder(dst), os.path.splitext(dst)[1]
    os.makedirs(folder, exist_ok=True)
    where, n = {p: i for i, p in enumerate(ix.pts)}, len(ix.pts)
    tail = segment_lookahead(options.preset, ext.lower() == ".webm")
    tasks = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else None
        first = ix.pts[max(0, where[start] - warmup)]
        last = where[end] if end is not None else n  # after its own frames
        more = min(n - last, tail)
        zones = join_zones(last - where[start], i > 0, end is not None)
        extra = f"{first}:{start}:{end}:{more}:{zones}"
        tasks.append(SegmentTask(f"{output_key(dst)}#{i}", src, os.path.join(folder, f"{i:05d}{ext}"), first, start,
                                 end, last + more - where[first], fingerprint(src, options, extra), more, zones))
    return tasks


def segment_folder(dst: str) -> str:
    folder, name = os.path.split(os.path.abspath(dst))
    return os.path.join(folder, ".vidstyle-segments", name)
