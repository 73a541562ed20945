"""The one progress line of `vidstyle batch`: a task retried after its worker died counts its frames once, the
count never passes the total, and a resumed batch starts from the frames an earlier run finished."""
import re

from media_files import make_video

from vidstyle.batch.driver import run_batch
from vidstyle.batch.inputs import items
from vidstyle.batch.tally import Tally
from vidstyle.jobs.options import VideoOptions


class Task:
    def __init__(self, key, frames):
        self.key, self.frames = key, frames


def test_a_retried_task_counts_its_frames_once_and_the_count_never_passes_the_total():
    t = Tally([Task("a", 10), Task("b", 0), Task("c", 5)], done=7)
    assert (t.count, t.total) == (7, 22)
    t.running("a", 6)
    for n in range(1, 5):  # its worker died: the retry starts again from the first frame
        t.running("a", n)
    assert t.count == 13
    t.running("a", 12)  # more frames than the header said
    assert (t.count, t.total) == (17, 22)
    t.finished("a", 12)
    t.running("b", 3)  # unknown length: counted once finished
    assert (t.count, t.total) == (17, 22)
    t.finished("b", 4)
    assert (t.count, t.total) == (21, 26)
    t.running("c", 2)
    t.failed("c")  # its 3 frames not written leave the total
    assert (t.count, t.total) == (23, 23)


class RetryingPool:
    """Runs each task as a Ray worker that dies halfway through would: the first attempt reports half its frames,
    the retry reports from the first frame again; the output appears at the end."""

    workers = 2

    def run(self, tasks, tick):
        for task in tasks:
            for n in range(1, task.frames // 2 + 1):
                tick({task.key: n}, 1)
            for n in range(1, task.frames + 1):
                tick({task.key: n}, 2)
            with open(task.dst, "wb") as f:
                f.write(b"a whole output")
            yield task, {"frames": task.frames, "seconds": 0.1, "damaged": False}


def progress_lines(stream) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r"(\d+)/(\d+) frames", stream.getvalue())]


def test_the_progress_line_stays_within_the_total_after_retries_and_a_resume(tmp_path, monkeypatch):
    import io

    monkeypatch.setattr("vidstyle.runtime.progress.LOG_EVERY_S", 0.0)  # a line at every update
    clips = tmp_path / "clips"
    clips.mkdir()
    make_video(str(clips / "a.mp4"), n=12, audio=None)
    make_video(str(clips / "b.mp4"), n=8, audio=None)
    out, opts = tmp_path / "out", VideoOptions(quiet=True)
    stream = io.StringIO()
    summary = run_batch(items([str(clips / "a.mp4")], str(out), "mp4"), opts, str(out), RetryingPool(),
                        stream=stream)
    assert summary.done == [str(out / "a.mp4")]
    seen = progress_lines(stream)
    assert seen and all(n <= total == 12 for n, total in seen), seen
    assert seen[-1] == (12, 12) and "100.0%" in stream.getvalue() and "workers 2/2" in stream.getvalue()

    stream = io.StringIO()  # a rerun: a.mp4 is done, b.mp4 is new
    summary = run_batch(items([str(clips)], str(out), "mp4"), opts, str(out), RetryingPool(), stream=stream)
    assert summary.skipped == [str(out / "a.mp4")] and summary.done == [str(out / "b.mp4")]
    seen = progress_lines(stream)
    assert seen[0][0] >= 12 and all(n <= total == 20 for n, total in seen), seen
    assert seen[-1] == (20, 20)
