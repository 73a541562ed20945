"""Where tasks run: ``LocalPool`` (this process, one task after another, one runner) and ``RayPool`` (Ray actors,
each holding one runner). ``run(tasks, tick)`` yields (task, result dict or error line) as tasks finish;
``tick(written, busy)`` reports, for running tasks, the frames each has written in its current attempt ({task key:
frames}; a retried task starts again from 0) and the number of busy workers."""
from __future__ import annotations

import dataclasses
import functools
import itertools

from ..errors import VidstyleError
from .plan import error_line


class LocalPool:
    """Tasks in this process, in order, on one ``ModelRunner`` made from the options at the first task."""

    workers = 1
    name = "this process"

    def __init__(self, options, runner=None):
        self.options = dataclasses.replace(options, quiet=True)
        self.runner = runner

    def run(self, tasks, tick):
        for task in tasks:
            tick({}, 1)
            frame = functools.partial(lambda key, n: tick({key: next(n)}, 1), task.key, itertools.count(1))
            try:
                if self.runner is None:
                    self.runner = self.options.runner()
                result = task.run(self.runner, self.options, frame)
            except Exception as e:  # noqa: BLE001 - a task fails alone; interrupts go through
                yield task, error_line(e)
            else:
                yield task, result
            tick({}, 0)

    def close(self) -> None:
        pass


def ray_installed() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def make_pool(address: str | None, workers: int | None, options):
    """The pool ``--ray`` asks for: None (Ray on this machine when installed, else this process), 'off' (this
    process), 'auto' or a cluster ADDRESS (Ray, which must be installed)."""
    if address == "off" or (address is None and not ray_installed()):
        return LocalPool(options)
    if not ray_installed():
        raise VidstyleError("--ray needs Ray: pip install 'vidstyle[ray]'")
    from .ray_pool import RayPool

    return RayPool(address, workers, options)
