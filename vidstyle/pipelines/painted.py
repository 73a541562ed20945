"""Live keyframes: a model too slow for the camera paints now and then; optical flow carries its painting.

``PaintedStream.process(frame)`` is what the live model thread calls for each camera frame instead of the
model. It hands the present frame to the ``Painter`` (a thread of its own) whenever the painter is free, takes
each finished painting in (``temporal.carry.LiveCarrier``: the painting, carried from its older frame to the
present, fades in over a few frames), and renders every frame from the latest painting.

Adaptive quality (``Quality``): the painter paints at a fraction of the stream's processing short side, then
may pause. A frame with no painting to carry (the first, or the first of a new shot) is painted at the
smallest size, so that its keyframe comes soon (the stream's very first frame waits up to FIRST_WAIT_S for it;
after a cut, the new frame shows through the last painting's colours meanwhile), and its time sets the level:
the largest size predicted (time in proportion to the area) to take at most SLOW_S. After each painting it
looks at the frames since the last one: when the stream kept fewer than AT_RATE of the camera's frames (the
carrier did not hold the frame rate) or the painting took longer than SLOW_S (its keyframe was stale by then),
it steps down, to a smaller size and then to longer pauses; after UP_AFTER good paintings in a row it steps up,
if the next size is predicted to take at most SLOW_S. A painting smaller than the stream is upscaled and
sharpened (``crisp``). Larger paintings score better even when staler, up to about a second
(docs/measurements.md). The painter runs at a lower OS priority than the carrier, and torch gets one thread
fewer than the cores, so it cannot starve the carrier.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time

import cv2
import numpy as np
import torch

from ..media.frame import Frame
from ..runtime.stages import Latest, Worker, join_all
from ..temporal.carry import LiveCarrier
from .frames import processing_size, resize

log = logging.getLogger("vidstyle")
LEVELS = (1.0, 0.75, 0.5, 0.375, 0.25)  # painting short side, as a fraction of the processing short side
MIN_SHORT = 64  # the smallest painting short side
PAUSES = (0.0, 0.25, 0.5, 1.0, 2.0)  # seconds between paintings, once the smallest size is not enough
AT_RATE = 0.9  # the share of camera frames the stream must keep to hold the camera's frame rate
SLOW_S = 1.3  # a painting that takes longer than this steps down (its keyframe is stale by then)
UP_AFTER = 2  # good paintings in a row before stepping up
PAINTER_NICE = 4  # how much lower the painter thread's OS priority is (Linux; elsewhere it is left alone)
POLL_S = 0.05
KEYFRAMES_ABOVE_S = 0.1  # keyframes 'auto': a model whose first frames take longer than this paints keyframes
SURE_ABOVE_S = 1.0  # keyframes 'auto' on a CPU: a first frame this slow decides alone (no warm-up explains it)
FIRST_WAIT_S = 0.5  # how long the stream's first frame may wait for its (quick) painting
CRISP = 1.0  # unsharp-mask amount for a painting upscaled to the processing size


@dataclasses.dataclass
class Job:
    """A frame to paint: its carrier mark, the style generation it is painted for, the stream state to paint
    it with (a snapshot), RGB uint8 (H, W, 3), and whether to paint it quickly (at the smallest size)."""

    mark: int
    generation: int
    state: object
    rgb: np.ndarray
    quick: bool = False


class Quality:
    """The painter's level: 0 .. len(LEVELS) - 1 index the sizes (largest first), the levels after those
    lengthen the pause (PAUSES) at the smallest size. It starts at the smallest size, without a pause."""

    top = len(LEVELS) + len(PAUSES) - 2

    def __init__(self):
        self.level, self.good = len(LEVELS) - 1, 0

    def scale_at(self, level: int) -> float:
        return LEVELS[min(level, len(LEVELS) - 1)]

    @property
    def scale(self) -> float:
        return self.scale_at(self.level)

    @property
    def pause(self) -> float:
        return PAUSES[max(0, self.level - len(LEVELS) + 1)]

    def calibrate(self, scale: float, paint_s: float) -> None:
        """After a quick painting at ``scale`` that took ``paint_s`` seconds: the largest size predicted (time in
        proportion to the area) to take at most SLOW_S, where the painter is not already pausing."""
        if self.level < len(LEVELS):
            fits = [i for i, s in enumerate(LEVELS) if paint_s * (s / scale) ** 2 <= SLOW_S]
            self.level, self.good = (fits[0] if fits else len(LEVELS) - 1), 0

    def update(self, kept: float, paint_s: float) -> None:
        """After a painting that took ``paint_s`` seconds, while the stream kept the share ``kept`` in [0, 1] of
        the camera's frames."""
        if kept < AT_RATE or paint_s > SLOW_S:
            self.level, self.good = min(self.level + 1, self.top), 0
            return
        self.good += 1
        up = self.level - 1
        if self.good >= UP_AFTER and up >= 0 and paint_s * (self.scale_at(up) / self.scale) ** 2 <= SLOW_S:
            self.level, self.good = up, 0


class Painter:
    """Paints ``Job``s with ``runner`` on its own thread: ``inbox`` takes the newest job, ``outbox`` gives
    (job, painting RGB uint8 at the job's size, seconds it took, the size (H, W) it was painted at)."""

    def __init__(self, runner, stop: threading.Event):
        self.runner = runner
        self.inbox, self.outbox = Latest(), Latest()
        self.quality = Quality()
        self.busy = False
        self.worker = Worker(self._run, "vidstyle-painter", stop)

    def _run(self) -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PAINTER_NICE)
        except (AttributeError, OSError):
            pass
        stop = self.worker.stop_event
        while not stop.is_set():
            job = self.inbox.get(POLL_S)
            if job is None:
                continue
            t0 = time.monotonic()
            h, w = job.rgb.shape[:2]
            scale = LEVELS[-1] if job.quick else self.quality.scale
            job.state.size = min(max(MIN_SHORT, round(min(h, w) * scale)), min(h, w))
            y = crisp(self.runner.stylize(job.state, job.rgb, out_hw=(h, w)), min(h, w) / job.state.size)
            self.outbox.put((job, y, time.monotonic() - t0, processing_size(h, w, job.state.size)))
            if self.quality.pause:
                stop.wait(self.quality.pause)


def crisp(rgb: np.ndarray, factor: float) -> np.ndarray:
    """A painting RGB uint8 (H, W, 3) that was upscaled by ``factor`` (>= 1), its strokes' edges sharpened again:
    an unsharp mask of amount CRISP and radius (sigma) ``factor`` px, about the fine contrast the upscaling
    blurred away. Unchanged at factor 1."""
    if factor <= 1.0:
        return rgb
    return cv2.addWeighted(rgb, 1.0 + CRISP, cv2.GaussianBlur(rgb, (0, 0), factor), -CRISP, 0.0)


class KeyframesChoice:
    """``--keyframes``: ``on`` True (paint keyframes), False (every frame) or None (auto, decided by ``timed``:
    keyframes when the faster of the first two frames, the first being cold, took longer than
    KEYFRAMES_ABOVE_S; on a CPU, at once when the first took longer than SURE_ABOVE_S, so that a slow model
    does not hold the stream for two whole frames; on a GPU a cold first frame can be that slow)."""

    def __init__(self, on: bool | None):
        self.on, self._first = on, []

    def timed(self, seconds: float, model: str, cpu: bool = True) -> bool:
        """After a frame the model painted in ``seconds`` (on a CPU or not): True when this makes the choice
        keyframes."""
        if self.on is not None:
            return False
        self._first.append(seconds)
        if len(self._first) < 2 and not (cpu and seconds > SURE_ABOVE_S):
            return False
        self.on = min(self._first) > KEYFRAMES_ABOVE_S
        if self.on:
            log.warning("%s takes %.2f s a frame here: painting keyframes, carried to every frame by optical flow",
                        model, min(self._first))
        return self.on


@dataclasses.dataclass
class PaintStats:
    """Keyframes painted and taken in, and the painter's last size (H, W) and seconds per painting."""

    painted: int = 0
    paint_hw: tuple[int, int] = (0, 0)
    paint_s: float = 0.0


class PaintedStream:
    """The live frames of one stream painted by keyframes (see the module docstring): ``process(frame, hw,
    smoother)`` -> RGB uint8 at the processing size ``hw``, through the temporal stage ``smoother`` (None:
    none), which evens out what the carrier cannot (the painting's edge against the fill, the flow's errors).
    ``start(stop)`` starts the painter, ``end()`` or ``stop`` ends it, ``close()`` joins it; ``restyle()`` after
    a change of style, strength or colour option (paintings already under way are dropped); ``reset()`` after
    frames were not seen (the original shown)."""

    def __init__(self, runner, state, fade: int | None = None):
        self.runner, self.state = runner, state
        self.carrier = LiveCarrier() if fade is None else LiveCarrier(fade)
        self.stats = PaintStats()
        self.generation = 0
        self.painter: Painter | None = None
        self._since = None  # (camera index, output frames) at the last painting taken in
        self._smoother = None  # the temporal stage the last frame went through

    def start(self, stop: threading.Event) -> None:
        n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        torch.set_num_threads(max(1, n - 1))
        self.painter = Painter(self.runner, stop)
        self.painter.worker.start()

    def end(self) -> None:
        """Tell the painter to stop (it finishes the painting under way); ``close()`` waits for it."""
        if self.painter is not None:
            self.painter.worker.stop_event.set()

    def close(self) -> BaseException | None:
        """Join the painter (after ``end()`` or the run's stop event); returns its error, if it failed."""
        if self.painter is None:
            return None
        join_all([self.painter.worker], raise_error=False)
        return self.painter.worker.error

    def restyle(self) -> None:
        self.generation += 1

    def reset(self) -> None:
        self.carrier.reset()
        self.generation += 1
        self._smoother = None

    def process(self, frame: Frame, hw: tuple[int, int], smoother=None) -> np.ndarray:
        painter = self.painter
        if painter.worker.error is not None:
            raise painter.worker.error
        self.carrier.next(resize(frame.rgb, hw))
        done = painter.outbox.get(0)
        if done is not None:
            self._take(frame, *done)
        if painter.busy is False and not painter.inbox.full:
            painter.busy = True
            quick = self.carrier.key is None and self.carrier.waiting is None
            painter.inbox.put(Job(self.carrier.mark(), self.generation, self.state.fork(), self.carrier.inp, quick))
            if self.carrier.colour is None:  # the stream's very first frame: its quick painting, not the camera's
                done = painter.outbox.get(FIRST_WAIT_S)
                if done is not None:
                    self._take(frame, *done)
        self._count(frame)
        out = self.carrier.render()
        if smoother is not self._smoother and smoother is not None:
            smoother.reset()  # switched on (or after the original was shown): no history to blend with
        self._smoother = smoother
        return out if smoother is None else smoother(self.carrier.inp, out)

    def _take(self, frame: Frame, job: Job, painting: np.ndarray, seconds: float, paint_hw) -> None:
        self.painter.busy = False
        if job.generation == self.generation and self.carrier.painted(job.mark, painting):
            self.stats.painted += 1
        index0, outputs = self._since or (frame.index, 0)
        kept = outputs / max(1, frame.index - index0)
        if job.quick:
            self.painter.quality.calibrate(LEVELS[-1], seconds)
        elif self._since is not None:
            self.painter.quality.update(min(1.0, kept), seconds)
        self.stats.paint_hw, self.stats.paint_s = paint_hw, seconds
        self._since = (frame.index, 0)

    def _count(self, frame: Frame) -> None:
        if self._since is not None:
            self._since = (self._since[0], self._since[1] + 1)
