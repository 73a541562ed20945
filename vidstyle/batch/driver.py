"""``run_batch``: plan the tasks of a batch, skip those the manifest says are done, run the rest on a pool with
one aggregated progress line, and record each finished one."""
from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass, field

from ..media.files import check_output_path
from ..media.segments import join
from ..runtime.progress import Progress
from .inputs import Item
from .manifest import Manifest, fingerprint
from .plan import FileTask, SegmentTask, count_frames, error_line, output_key, segment_folder, segment_tasks
from .tally import Tally


@dataclass
class Summary:
    """What a batch did: outputs written, skipped (done by an earlier run), failed (input, one-line error),
    frames written and wall seconds; ``earlier``: frames of the skipped files and segments (for progress)."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    frames: int = 0
    seconds: float = 0.0
    earlier: int = 0

    def lines(self) -> list[str]:
        total = len(self.done) + len(self.skipped) + len(self.failed)
        fps = self.frames / self.seconds if self.seconds else 0.0
        head = (f"{len(self.done)} of {total} videos written ({self.frames} frames in {self.seconds:.1f} s, "
                f"{fps:.2f} fps)")
        if self.skipped:
            head += f", {len(self.skipped)} already done"
        if self.failed:
            head += f", {len(self.failed)} failed"
        return [head] + [f"failed: {src}: {why}" for src, why in self.failed]


@dataclass
class Joined:
    """A segmented input: its output, the keys of its segment tasks not finished yet, and their files."""

    src: str
    dst: str
    key: str
    fp: str
    parts: list[str]
    remaining: set[str]
    error: str = ""


def plan(items: list[Item], options, manifest: Manifest, summary: Summary, segment_seconds: float = 0.0,
         warmup: int = 0) -> tuple[list, dict[str, Joined]]:
    """The tasks still to run, and the segmented inputs by output key; inputs that cannot run go to
    ``summary.failed``, finished ones to ``skipped`` (their frames, and those of finished segments, to
    ``summary.earlier``). Inputs longer than 1.5 ``segment_seconds`` (0: none) are cut into segments at keyframes
    (not with --preserve-color match, whose colours come from the first frame)."""
    tasks, joins = [], {}
    for item in items:
        if item.error:
            summary.failed.append((item.src, item.error))
            continue
        key = output_key(item.dst)
        try:
            frames = count_frames(item.src)
            fp = fingerprint(item.src, options)
            if manifest.done(key, fp, item.dst):
                if manifest.tasks[key]["state"] != "done":  # finished after its run was stopped
                    manifest.record(key, fp, src=os.path.abspath(item.src))
                summary.skipped.append(item.dst)
                summary.earlier += frames
                continue
            check_output_path(item.dst, options.overwrite, (item.src,))
            cut = options.preserve_color != "match" and segment_seconds > 0
            segments = segment_tasks(item.src, item.dst, segment_seconds, warmup, options) if cut else []
        except Exception as e:  # noqa: BLE001 - a bad input fails alone
            summary.failed.append((item.src, error_line(e)))
            continue
        if not segments:
            manifest.start(key, fp, item.dst)
            tasks.append(FileTask(key, item.src, item.dst, frames, fp))
            continue
        todo = [t for t in segments if not manifest.done(t.key, t.fp, t.part)]
        summary.earlier += sum(t.frames for t in segments) - sum(t.frames for t in todo)
        for t in todo:
            manifest.start(t.key, t.fp, t.part)
        joins[key] = Joined(item.src, item.dst, key, fp, [t.part for t in segments], {t.key for t in todo})
        tasks += todo
    return tasks, joins


def join_segments(j: Joined, options, manifest: Manifest, summary: Summary) -> None:
    """Join a segmented input's parts into its output (no re-encoding), record it, remove the parts."""
    try:
        check_output_path(j.dst, options.overwrite, (j.src,))
        frames = join(j.parts, j.src, j.dst, metadata=not options.strip_metadata)
    except Exception as e:  # noqa: BLE001 - this input fails alone
        summary.failed.append((j.src, error_line(e)))
        return
    manifest.record(j.key, j.fp, src=os.path.abspath(j.src), frames=frames, segments=len(j.parts))
    summary.done.append(j.dst)
    shutil.rmtree(segment_folder(j.dst), ignore_errors=True)
    try:
        os.rmdir(os.path.dirname(segment_folder(j.dst)))  # the last one out
    except OSError:
        pass


def run_batch(items: list[Item], options, outdir: str, pool, quiet: bool = False, stream=None,
              segment_seconds: float = 0.0, warmup: int = 0) -> Summary:
    """Run ``items`` (see ``inputs.items``) with the VideoOptions ``options`` on ``pool`` into ``outdir`` (made
    if missing), inputs longer than 1.5 ``segment_seconds`` (0: none) in segments primed by ``warmup`` frames;
    progress and the summary go to ``stream`` (default stderr) unless ``quiet``."""
    os.makedirs(outdir, exist_ok=True)
    manifest, summary = Manifest(outdir), Summary()
    tasks, joins = plan(items, options, manifest, summary, segment_seconds, warmup)
    owner = {t.key: joins[t.key.split("#")[0]] for t in tasks if isinstance(t, SegmentTask)}
    tally = Tally(tasks, summary.earlier)
    progress = Progress(tally.total or None, "frames", quiet=quiet, stream=stream, done=tally.count)

    def show(**extra) -> None:
        progress.total = tally.total or None
        progress.update(tally.count - progress.count, **extra)

    def tick(written: dict[str, int], busy: int) -> None:
        for key, frames in written.items():
            tally.running(key, frames)
        show(workers=f"{busy}/{pool.workers}")

    t0 = time.monotonic()
    try:
        for j in joins.values():
            if not j.remaining:  # every segment was done by an earlier run
                join_segments(j, options, manifest, summary)
        for task, outcome in pool.run(tasks, tick):
            j = owner.get(task.key)
            if isinstance(outcome, str):
                tally.failed(task.key)
                show()
                if j is None:
                    summary.failed.append((task.src, outcome))
                elif not j.error:
                    j.error = outcome
                    summary.failed.append((task.src, f"segment {task.key.split('#')[1]}: {outcome}"))
                continue
            summary.frames += outcome["frames"]
            tally.finished(task.key, outcome["frames"])
            show()
            manifest.record(task.key, task.fp, src=os.path.abspath(task.src), **outcome)
            if j is None:
                summary.done.append(task.dst)
                continue
            j.remaining.discard(task.key)
            if not j.remaining and not j.error:
                join_segments(j, options, manifest, summary)
    finally:
        summary.seconds = time.monotonic() - t0
        progress.close()
    if not quiet:
        for line in summary.lines():
            print(f"vidstyle: {line}", file=stream or sys.stderr)
    return summary
