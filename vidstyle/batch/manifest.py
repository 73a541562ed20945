"""The manifest of a batch: a JSON file in OUTDIR recording each finished task with a fingerprint of its input
and options, so that a rerun skips what is done and redoes what changed. Written atomically after every
finished task (a temporary file renamed), so an interrupted run loses nothing that finished."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os

from ..media.files import temp_path

NAME = "vidstyle-batch.json"
VERSION = 1
IGNORED = {"overwrite", "quiet"}  # options that do not change what is written


def fingerprint(src: str, options, extra: str = "") -> str:
    """A hash of the input (absolute path, size, modification time) and of the options that change the output
    (``options``: a dataclass, e.g. VideoOptions), plus ``extra`` (a segment's range)."""
    st = os.stat(src)
    opts = {k: v for k, v in dataclasses.asdict(options).items() if k not in IGNORED}
    text = json.dumps([os.path.abspath(src), st.st_size, st.st_mtime_ns, opts, extra], sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def signature(path: str) -> list | None:
    """(size, modification time) of a file, or None when it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return [st.st_size, st.st_mtime_ns]


class Manifest:
    """``start(key, fp, dst)`` notes that task ``key`` (fingerprint ``fp``) is about to write ``dst``;
    ``record(key, fp, **info)`` marks it finished; ``done(key, fp, dst)`` says whether it is. A started task whose
    ``dst`` has appeared since (outputs appear only when complete) counts as done: the run that started it was
    stopped between the worker finishing and the driver recording it. Keys are output names."""

    def __init__(self, outdir: str):
        self.path = os.path.join(outdir, NAME)
        self.tasks: dict[str, dict] = {}
        if os.path.exists(self.path):
            try:
                with open(self.path) as f:
                    data = json.load(f)
                if data.get("version") == VERSION:
                    self.tasks = dict(data.get("tasks", {}))
            except (OSError, ValueError):
                self.tasks = {}  # unreadable: start afresh (outputs are still never clobbered)

    def done(self, key: str, fp: str, dst: str) -> bool:
        entry = self.tasks.get(key, {})
        if entry.get("fingerprint") != fp or (now := signature(dst)) is None:
            return False
        return entry.get("state") == "done" or now != entry.get("before")

    def start(self, key: str, fp: str, dst: str) -> None:
        self.tasks[key] = {"fingerprint": fp, "state": "started", "before": signature(dst)}
        self.save()

    def record(self, key: str, fp: str, **info) -> None:
        self.tasks[key] = {"fingerprint": fp, "state": "done", **info}
        self.save()

    def save(self) -> None:
        tmp = temp_path(self.path)
        try:
            with open(tmp, "w") as f:
                json.dump({"version": VERSION, "tasks": self.tasks}, f, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
