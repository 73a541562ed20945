"""The keyframe file pipeline (vidstyle.pipelines.keyframes): the middle stage with a stand-in painter on
synthetic clips, and whole `vidstyle file --keyframes` runs on real small files."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from clips import cut_clip, panning_clip
from conftest import run_cli
from media_files import make_video, probe

from vidstyle.media.frame import Frame
from vidstyle.pipelines.file import model_stage
from vidstyle.pipelines.keyframes import key_stage
from vidstyle.runtime.stages import END, Pipe
from vidstyle.runtime.transfer import Done
from vidstyle.temporal.keyframes import Carrier


class Solid:
    """Stand-in painter: solid red for its first ``blue_from`` calls, solid blue from then on; it records the
    input frames it was given."""

    def __init__(self, blue_from: int = 10**6):
        self.painted: list[np.ndarray] = []
        self.blue_from = blue_from

    def stylize(self, state, rgb, out_hw=None):
        colour = (0, 0, 200) if len(self.painted) >= self.blue_from else (200, 0, 0)
        self.painted.append(rgb)
        return np.broadcast_to(np.array(colour, np.uint8), tuple(out_hw) + (3,)).copy()


class Invert:
    """Stand-in painter: 255 - frame, through either entry point of a model runner."""

    def stylize(self, state, rgb, out_hw=None):
        return 255 - rgb

    def submit(self, state, frames, out_hw=None, pad_to=None):
        return Done(255 - frames)


class State:
    size = None
    active_temporal = None


def run_stage(frames: list[np.ndarray], runner, every: int | None) -> tuple[list[Frame], list[np.ndarray]]:
    """The key stage over ``frames`` -> (output frames in order, their painted or carried pictures)."""
    stop = threading.Event()
    src, out = Pipe(len(frames) + 1, stop), Pipe(len(frames) + 1, stop)
    for i, f in enumerate(frames):
        src.put(Frame(f, pts=i, index=i))
    src.put(END)
    key_stage(runner, State(), Carrier(every), src, out, [0])
    items = []
    while (item := out.get(0)) is not END:
        items.append(item)
    return [f for f, _, _ in items], [y for _, y, _ in items]


def test_a_scene_cut_is_painted_at_once_and_nothing_crosses_it():
    frames = cut_clip(14, cut=7).frames
    painter = Solid(blue_from=1)  # the first painting is red, the next ones (from the cut on, expected) blue
    out_frames, pictures = run_stage(frames, painter, every=100)
    assert [f.index for f in out_frames] == list(range(14))
    assert [next(i for i, f in enumerate(frames) if f is p) for p in painter.painted] == [0, 7]
    for t, y in enumerate(pictures):
        if t < 7:  # carried from frame 0 only: no blue from the next shot's painting
            assert (y == (200, 0, 0)).all(), t
        else:
            assert (y == (0, 0, 200)).all(), t


def test_a_clip_shorter_than_the_interval_is_carried_from_its_first_frame():
    frames = panning_clip(5, dx=1.0, obj=False).frames
    painter = Solid()
    out_frames, pictures = run_stage(frames, painter, every=8)
    assert len(painter.painted) == 1 and painter.painted[0] is frames[0]
    assert [f.index for f in out_frames] == list(range(5))
    assert all(y.shape == frames[0].shape and (y == (200, 0, 0)).all() for y in pictures)


def test_a_black_frame_is_painted():
    frames = panning_clip(10, dx=1.0, obj=False).frames
    frames[6] = np.zeros_like(frames[6])
    painter = Invert()
    out_frames, pictures = run_stage(frames, painter, every=100)
    assert len(out_frames) == 10
    assert (pictures[6] == 255).all()  # the painting of the black frame itself, not a carried picture


def test_an_interval_of_one_equals_the_per_frame_path():
    frames = panning_clip(9, dx=1.0).frames
    _, keyed = run_stage(frames, Invert(), every=1)
    stop = threading.Event()
    src, out = Pipe(20, stop), Pipe(20, stop)
    for i, f in enumerate(frames):
        src.put(Frame(f, index=i))
    src.put(END)
    model_stage(Invert(), State(), src, out, batch=4)
    per_frame = []
    while (item := out.get(0)) is not END:
        per_frame.append(item[1])
    assert len(keyed) == len(per_frame) == 9
    assert all(np.array_equal(a, b) for a, b in zip(keyed, per_frame))


@pytest.mark.parametrize("keyframes", ["4", "auto"])
def test_a_keyframed_file_keeps_frames_timestamps_and_audio(tmp_path, keyframes):
    pts = [0, 4, 8, 12, 20, 24, 28, 32, 36, 48, 52, 56, 60, 64]  # variable frame rate
    src = make_video(str(tmp_path / "in.mp4"), n=len(pts), size=(64, 48), pts=pts, audio="aac")
    out = str(tmp_path / "out.mp4")
    r = run_cli("file", src, out, "--size", "32", "--keyframes", keyframes)
    assert r.returncode == 0, r.stderr
    a, b = probe(src), probe(out)
    assert b["frames"] == a["frames"] == len(pts)
    assert b["times"] == pytest.approx(a["times"], abs=1e-3)
    assert b["audio"] == "aac" and abs(b["audio_duration"] - a["audio_duration"]) <= 0.04
    painted = int(r.stderr.split(" keyframes")[0].rsplit(", ", 1)[1])
    assert 1 <= painted <= len(pts) and (keyframes == "auto" or painted < len(pts))


def test_a_bad_interval_is_one_line_error(tmp_path):
    src = make_video(str(tmp_path / "in.mp4"), n=3, audio=None)
    r = run_cli("file", src, str(tmp_path / "out.mp4"), "--keyframes", "0")
    assert r.returncode != 0 and "--keyframes" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out.mp4").exists()
