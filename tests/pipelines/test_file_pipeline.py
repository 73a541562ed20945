"""The file pipeline's stages (reader, model, temporal, writer threads) with a stand-in stylizer: frames keep
their order, and a stage that fails mid-file stops the others and leaves no output behind."""
import os
import threading

import numpy as np
import pytest
from media_files import make_video, textured_frame

from vidstyle.media.decode import FileSource
from vidstyle.media.writer import VideoFileSink
from vidstyle.pipelines.file import stylize_file
from vidstyle.runtime.transfer import Done


class Invert:
    """Stand-in model runner: 255 - frame, uint8 (N, H, W, 3) in and out."""

    def submit(self, state, frames, out_hw=None, pad_to=None):
        return Done(255 - frames)


class State:
    """Stand-in stream state: full-size processing, the given temporal stage, no history to forget."""

    size = None

    def __init__(self, temporal):
        self.active_temporal = temporal

    def reset(self):
        """Nothing to forget."""


def run(tmp_path, temporal, n=12):
    src = make_video(str(tmp_path / "in.mp4"), n=n, audio=None)
    source = FileSource(src)
    sink = VideoFileSink(str(tmp_path / "out.mp4"), source.info, audio_stream=source.audio_stream)
    return stylize_file(source, sink, Invert(), State(temporal), batch=4, quiet=True)


def test_temporal_stage_sees_every_frame_in_order(tmp_path):
    seen = []

    def temporal(inp, styl):
        seen.append(inp.astype(int))
        assert np.array_equal(styl, 255 - inp)
        return styl

    stats = run(tmp_path, temporal)
    assert stats.frames == 12 and len(seen) == 12
    drawn = [textured_frame(48, 64, t).astype(int) for t in range(12)]  # the frames make_video encoded
    order = [int(np.argmin([np.abs(f - d).mean() for d in drawn])) for f in seen]
    assert order == list(range(12))
    assert os.path.exists(tmp_path / "out.mp4")


def test_failing_temporal_stage_stops_the_run_and_leaves_no_file(tmp_path):
    calls = []

    def temporal(inp, styl):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("temporal stage broke")
        return styl

    result = {}
    t = threading.Thread(target=lambda: result.setdefault("error", _catch(lambda: run(tmp_path, temporal, n=40))))
    t.start()
    t.join(timeout=60)
    assert not t.is_alive(), "the pipeline hung after a stage failed"
    assert isinstance(result["error"], RuntimeError) and "broke" in str(result["error"])
    assert sorted(os.listdir(tmp_path)) == ["in.mp4"]


def _catch(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the test inspects it
        return e
    pytest.fail("the run did not raise")
