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


class Manifest:
    """``done(key, fp)``: whether task ``key`` finished with fingerprint ``fp``; ``record(key, fp, **info)``
    marks it finished and saves; ``forget(key)`` drops it. Keys are output-relative names."""

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

    def done(self, key: str, fp: str) -> bool:
        return self.tasks.get(key, {}).get("fingerprint") == fp

    def record(self, key: str, fp: str, **info) -> None:
        self.tasks[key] = {"fingerprint": fp, **info}
        self.save()

    def forget(self, key: str) -> None:
        if self.tasks.pop(key, None) is not None:
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
