"""``run_batch``: plan the tasks of a batch, skip those the manifest says are done, run the rest on a pool with
one aggregated progress line, and record each finished one."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

from ..runtime.progress import Progress
from .inputs import Item
from .manifest import Manifest, fingerprint
from .plan import FileTask, count_frames, error_line, output_key


@dataclass
class Summary:
    """What a batch did: outputs written, skipped (done by an earlier run), failed (input, one-line error),
    frames written and wall seconds."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    frames: int = 0
    seconds: float = 0.0

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


def plan(items: list[Item], options, manifest: Manifest, summary: Summary) -> list[FileTask]:
    """The tasks still to run; inputs that cannot run go to ``summary.failed``, finished ones to ``skipped``."""
    tasks = []
    for item in items:
        if item.error:
            summary.failed.append((item.src, item.error))
            continue
        try:
            frames = count_frames(item.src)
            fp = fingerprint(item.src, options)
        except Exception as e:  # noqa: BLE001 - a bad input fails alone
            summary.failed.append((item.src, error_line(e)))
            continue
        key = output_key(item.dst)
        if manifest.done(key, fp, item.dst):
            if manifest.tasks[key]["state"] != "done":  # finished after its run was stopped
                manifest.record(key, fp, src=os.path.abspath(item.src))
            summary.skipped.append(item.dst)
            continue
        manifest.start(key, fp, item.dst)
        tasks.append(FileTask(key, item.src, item.dst, frames, fp))
    return tasks


def run_batch(items: list[Item], options, outdir: str, pool, quiet: bool = False, stream=None) -> Summary:
    """Run ``items`` (see ``inputs.items``) with the VideoOptions ``options`` on ``pool`` into ``outdir`` (made
    if missing); progress and the summary go to ``stream`` (default stderr) unless ``quiet``."""
    os.makedirs(outdir, exist_ok=True)
    manifest, summary = Manifest(outdir), Summary()
    tasks = plan(items, options, manifest, summary)
    progress = Progress(sum(t.frames for t in tasks) or None, "frames", quiet=quiet, stream=stream)
    busy = {"n": 0}

    def tick(frames: int, now_busy: int) -> None:
        busy["n"] = now_busy
        progress.update(frames, workers=f"{now_busy}/{pool.workers}")

    t0 = time.monotonic()
    try:
        for task, outcome in pool.run(tasks, tick):
            if isinstance(outcome, str):
                summary.failed.append((task.src, outcome))
            else:
                manifest.record(task.key, task.fp, src=os.path.abspath(task.src), **outcome)
                summary.done.append(task.dst)
                summary.frames += outcome["frames"]
    finally:
        summary.seconds = time.monotonic() - t0
        progress.close()
    if not quiet:
        for line in summary.lines():
            print(f"vidstyle: {line}", file=stream or sys.stderr)
    return summary
