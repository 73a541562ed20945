"""The file pipeline: reader thread -> batched stylizer (calling thread) -> temporal thread -> writer thread.

Bounded pipes give back-pressure; no frame is ever dropped or duplicated and timestamps pass through. The
reader hands audio straight to the sink, which interleaves it with the video by time. Shutdown follows
``vidstyle.runtime.stages``: the first error or interrupt stops every stage, all threads are joined, then the
sink is finalized (success) or removed (anything else) and the source closed.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from ..errors import VidstyleError
from ..media.decode import FileSource
from ..media.frame import Frame
from ..media.writer import VideoFileSink
from ..runtime.progress import Progress
from ..runtime.stages import END, Pipe, Worker, join_all
from .frames import finish_frame, processing_size

QUEUE_BATCHES = 3  # each pipe holds this many batches of frames
BATCH_WAIT_S = 0.05  # how long a started batch waits for more decoded frames before it goes as it is


@dataclass
class RunStats:
    frames: int
    seconds: float
    fps: float
    keyframes: int | None = None  # frames painted by the model, where not all were


def stylize_file(source: FileSource, sink: VideoFileSink, runner, state, batch: int = 4,
                 quiet: bool = False, on_frame=None) -> RunStats:
    """Run the whole file through ``runner`` with the stream ``state`` (its temporal stage included) into
    ``sink``; closes the sink on success, aborts it (removing the partial file) on any error or interrupt, and
    closes the source either way. ``on_frame()`` (optional) is called, from the writer thread, after each
    frame written."""
    return run_stages(source, sink, state, lambda src, out: model_stage(runner, state, src, out, batch),
                      batch * QUEUE_BATCHES, quiet, on_frame)


def run_stages(source: FileSource, sink: VideoFileSink, state, paint, queue: int, quiet: bool = False,
               on_frame=None) -> RunStats:
    """The reader, temporal and writer threads around ``paint(decoded, stylized)``, run in the calling thread:
    it takes ``Frame`` items from ``decoded`` and puts (frame, stylized, processing size) items, then END, into
    ``stylized``. Pipes hold ``queue`` items. Sink, source and ``on_frame`` as ``stylize_file`` says."""
    stop = threading.Event()
    decoded, stylized, finished = (Pipe(queue, stop) for _ in range(3))
    out_hw = sink.requested[::-1]
    progress = Progress(source.info.frames or None, "frames", quiet=quiet)
    state.reset()  # a new clip: no history carried over from an earlier one
    workers = [Worker(lambda: read_stage(source, sink, decoded), "vidstyle-reader", stop),
               Worker(lambda: temporal_stage(state.active_temporal, stylized, finished, out_hw), "vidstyle-temporal",
                      stop),
               Worker(lambda: write_stage(sink, finished, progress, on_frame), "vidstyle-writer", stop)]
    t0 = time.monotonic()
    try:
        for w in workers:
            w.start()
        paint(decoded, stylized)
        join_all(workers)
        if sink.frames == 0:
            raise VidstyleError(f"input has no decodable video frames: {source.path}")
        sink.close()
    except BaseException:
        stop.set()
        join_all(workers, raise_error=False)
        sink.abort()
        raise
    finally:
        progress.close()
        source.close()
    seconds = time.monotonic() - t0
    return RunStats(sink.frames, seconds, sink.frames / max(seconds, 1e-9))


def read_stage(source: FileSource, sink: VideoFileSink, out: Pipe) -> None:
    """Decode: video frames into ``out``, audio items straight to the sink."""
    for kind, item in source.items(audio=sink.audio_mode):
        if kind == "audio":
            sink.audio(item)
        elif not out.put(item):
            return
    out.put(END)


def next_batch(src: Pipe, batch: int, held: Frame | None) -> tuple[list[Frame], Frame | None, bool]:
    """Up to ``batch`` frames of one size from ``src`` (starting with ``held``), waiting at most BATCH_WAIT_S
    for more once one is in. Returns (frames, a frame of another size held for the next batch, ended)."""
    frames = [held] if held is not None else []
    deadline = time.monotonic() + BATCH_WAIT_S if frames else None
    while len(frames) < batch:
        item = src.get(None if deadline is None else max(0.0, deadline - time.monotonic()))
        if item is END:
            return frames, None, True
        if item is None:  # the deadline passed: go with what there is
            break
        if frames and item.rgb.shape != frames[0].rgb.shape:
            return frames, item, False  # the size changed mid-stream: start a new batch
        frames.append(item)
        if deadline is None:
            deadline = time.monotonic() + BATCH_WAIT_S
    return frames, None, False


def model_stage(runner, state, src: Pipe, out: Pipe, batch: int) -> None:
    """Stylize batches from ``src`` at the state's processing size; hand (frame, stylized, size) items to ``out``.
    One batch stays in flight: batch k is handed on while batch k+1 computes (on CUDA, asynchronously)."""
    held, ended, pending = None, False, None
    while not ended:
        frames, held, ended = next_batch(src, batch, held)
        job = None
        if frames:
            proc = processing_size(*frames[0].rgb.shape[:2], state.size)
            job = (frames, runner.submit(state, np.stack([f.rgb for f in frames]), out_hw=proc, pad_to=batch), proc)
        if pending is not None and not hand_on(pending, out):
            return
        pending = job
    if pending is None or hand_on(pending, out):
        out.put(END)


def hand_on(job: tuple, out: Pipe) -> bool:
    """Put a submitted batch's (frame, stylized, size) items into ``out``; False once stopped."""
    frames, result, proc = job
    return all(out.put((f, y, proc)) for f, y in zip(frames, result.result()))


def temporal_stage(temporal, src: Pipe, out: Pipe, out_hw: tuple[int, int]) -> None:
    """The temporal stage and the resize to the output size; it overlaps the next batch's stylization."""
    while (item := src.get()) is not END:
        f, y, proc = item
        f.rgb = finish_frame(temporal, f.rgb, y, proc, out_hw)
        if not out.put(f):
            return
    out.put(END)


def write_stage(sink: VideoFileSink, src: Pipe, progress: Progress, on_frame=None) -> None:
    while (frame := src.get()) is not END:
        sink.write(frame)
        progress.update(1)
        if on_frame is not None:
            on_frame()
