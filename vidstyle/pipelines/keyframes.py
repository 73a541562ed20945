"""The keyframe file pipeline: the model paints keyframes, optical flow carries them to the frames between.

The threads of ``file.run_stages`` (reader, temporal, writer: timestamps and audio pass through as there);
the middle stage, in the calling thread, looks ahead from one keyframe to the next with a
``temporal.keyframes.Carrier``: it holds the frames since the last keyframe (at most the keyframe interval, so
memory stays bounded), paints the next keyframe when the carrier asks for one, then builds the held frames
from the two keyframes and hands them on in order, the keyframe after them.
"""
from __future__ import annotations

import dataclasses

from ..media.decode import FileSource
from ..media.writer import VideoFileSink
from ..runtime.stages import END, Pipe
from ..temporal.keyframes import Carrier, Key
from .file import RunStats, run_stages
from .frames import processing_size, resize

QUEUE = 12  # items each pipe holds (the frames between two keyframes are held by the middle stage itself)


def stylize_keyframed(source: FileSource, sink: VideoFileSink, runner, state, every: int | None = None,
                      quiet: bool = False, on_frame=None) -> RunStats:
    """Like ``file.stylize_file``, but ``runner`` paints only keyframes: every ``every``-th frame at least
    (None: auto, from the motion), scene cuts and frames the flow cannot carry (``Carrier``)."""
    carrier, painted = Carrier(every), [0]
    stats = run_stages(source, sink, state, lambda src, out: key_stage(runner, state, carrier, src, out, painted),
                       QUEUE, quiet, on_frame)
    return dataclasses.replace(stats, keyframes=painted[0])


def key_stage(runner, state, carrier: Carrier, src: Pipe, out: Pipe, painted: list[int]) -> None:
    """Frames from ``src`` -> (frame, painted or carried frame, processing size) items into ``out``, in order;
    ``painted[0]`` counts the keyframes."""
    key, held = None, []
    while (frame := src.get()) is not END:
        proc = processing_size(*frame.rgb.shape[:2], state.size)
        view = carrier.view(resize(frame.rgb, proc), key)
        if not carrier.wants_key(view, key):
            held.append((frame, view))
            continue
        painting = runner.stylize(state, frame.rgb, out_hw=proc)
        painted[0] += 1
        new = carrier.key(view, painting)
        right = new if view.left is not None else None  # no later keyframe across a cut or a change of size
        if not (hand_on(carrier, held, key, right, out) and out.put((frame, painting, proc))):
            return
        key, held = new, []
    if hand_on(carrier, held, key, None, out):
        out.put(END)


def hand_on(carrier: Carrier, held: list, left: Key | None, right: Key | None, out: Pipe) -> bool:
    """Build the ``held`` (frame, view) pairs from keyframes ``left`` and ``right`` (None: none) into ``out``;
    False once stopped."""
    for frame, view in held:
        y = carrier.carry(view, left, right)
        if not out.put((frame, y, y.shape[:2])):
            return False
    return True
