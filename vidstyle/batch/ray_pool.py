"""``RayPool``: tasks on Ray actors. Each actor loads the model once (one ``ModelRunner``), holds a GPU where the
cluster has them (``num_gpus=1``) and sets its torch threads so that workers x threads = cores. An actor that dies
mid-task (killed, out of memory, its machine gone) is restarted by Ray and the task retried; a task that raises
fails alone. Inputs and outputs are paths: every machine must see them under the same path (shared storage)."""
from __future__ import annotations

import dataclasses
import logging
import os
import threading

import ray

from ..errors import VidstyleError
from .plan import error_line

POLL_S = 0.5  # how often the driver gathers the workers' frame counts
CPUS_PER_WORKER = 4  # on CPUs, a worker per this many cores (fewer workers, more threads each)
RETRIES = 3  # restarts of a dead worker, and retries of the task it was running


@ray.remote
class Worker:
    """One model, one task at a time; ``written()`` (answered while a task runs) says which task runs and how many
    frames it has written: (key, frames), from 0 in each attempt (a worker restarted after dying starts afresh)."""

    def __init__(self, options, threads: int):
        import torch

        torch.set_num_threads(threads)
        self.options, self.runner = options, options.runner()
        self.lock, self.key, self.frames = threading.Lock(), "", 0

    def run(self, task) -> dict:
        with self.lock:
            self.key, self.frames = task.key, 0
        return task.run(self.runner, self.options, self._frame)

    def _frame(self) -> None:
        with self.lock:
            self.frames += 1

    def written(self) -> tuple[str, int]:
        with self.lock:
            return self.key, self.frames


def connect(address: str | None) -> bool:
    """Join the cluster at ``address`` ('auto': the one this machine has joined) or, with None, start Ray in this
    process with this machine's cores and GPUs. Returns whether this process started it."""
    if ray.is_initialized():
        return False
    quiet = {"logging_level": logging.ERROR, "include_dashboard": False}
    if address is None:
        ray.init(num_cpus=os.cpu_count(), **quiet)
        return True
    try:
        ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise VidstyleError(f"cannot join the Ray cluster at {address}: {str(e).splitlines()[0][:160]}") from None
    return False


def sizing(workers: int | None, cpus: float, gpus: float) -> tuple[int, int, float]:
    """(workers, torch threads each, GPUs each): one worker per GPU where there are GPUs, else one per
    CPUS_PER_WORKER cores (``workers`` overrides); threads so that workers x threads = cores."""
    cpus = max(1, int(cpus))
    if workers is None:
        workers = int(gpus) if gpus >= 1 else max(1, cpus // CPUS_PER_WORKER)
    per_gpu = min(1.0, gpus / workers) if gpus else 0.0
    return workers, max(1, cpus // workers), per_gpu


class RayPool:
    """``workers`` actors (None: see ``sizing``) on the cluster at ``address`` (see ``connect``)."""

    def __init__(self, address: str | None, workers: int | None, options):
        self.started = connect(address)
        res = ray.cluster_resources()
        self.workers, threads, gpus = sizing(workers, res.get("CPU", 1), res.get("GPU", 0))
        self.options = dataclasses.replace(options, quiet=True)
        where = "this machine" if self.started else f"the cluster at {address}"
        self.name = f"Ray on {where}: {self.workers} workers, {threads} threads each" + (
            f", {gpus:g} GPU each" if gpus else "")
        # each worker reserves the cores its threads use, so Ray spreads the workers over the machines
        self.spawn = lambda: Worker.options(num_cpus=threads, num_gpus=gpus, max_concurrency=2, max_restarts=RETRIES,
                                            max_task_retries=RETRIES).remote(self.options, threads)
        self.actors = [self.spawn() for _ in range(self.workers)]

    def run(self, tasks, tick):
        pending, running, idle = list(tasks), {}, list(self.actors)
        while pending or running:
            while idle and pending:
                actor, task = idle.pop(), pending.pop(0)
                running[actor.run.remote(task)] = (task, actor)
            ready, _ = ray.wait(list(running), num_returns=1, timeout=POLL_S)
            tick(self._written([a for _, a in running.values()]), len(running))
            for ref in ready:
                task, actor = running.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayTaskError as e:  # the task raised: it fails alone
                    yield task, error_line(getattr(e, "cause", None) or e)
                except ray.exceptions.RayActorError as e:  # retries used up: a fresh worker takes over
                    yield task, f"its worker died {RETRIES + 1} times: {str(e).splitlines()[0][:160]}"
                    self.actors.remove(actor)
                    actor = self.spawn()
                    self.actors.append(actor)
                else:
                    yield task, result
                idle.append(actor)
            tick({}, len(running))

    @staticmethod
    def _written(actors) -> dict[str, int]:
        """{task key: frames written in its current attempt} of the busy ``actors`` (one that does not answer in
        time, e.g. restarting: left out)."""
        refs = [a.written.remote() for a in actors]
        done, _ = ray.wait(refs, num_returns=len(refs), timeout=POLL_S)
        written = {}
        for ref in done:
            try:
                key, frames = ray.get(ref)
            except ray.exceptions.RayError:
                continue
            if key:
                written[key] = frames
        return written

    def close(self) -> None:
        for actor in self.actors:
            ray.kill(actor)
        if self.started:
            ray.shutdown()
