"""`vidstyle batch` in this process (no Ray): a folder of real clips, a bad input that fails alone, the manifest
that makes a rerun skip finished files."""
import json
import os

from conftest import run_cli
from media_files import make_video, probe

FAST = ("--model", "fast", "--device", "cpu", "--precision", "fp32", "--size", "32", "--temporal", "off")


def test_a_folder_is_stylized_a_bad_input_fails_alone_and_a_rerun_skips_what_is_done(tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    make_video(str(clips / "a.mp4"), n=6, size=(64, 48), audio="aac")
    make_video(str(clips / "b.mkv"), n=4, size=(48, 32), audio=None)
    (clips / "broken.mp4").write_bytes(b"not a video at all")
    (clips / "notes.txt").write_text("not a video, not picked from a folder")
    out = tmp_path / "styled"
    r = run_cli("batch", str(clips), str(tmp_path / "missing.mp4"), "-o", str(out), "--ray", "off", *FAST)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert "2 of 4 videos written (10 frames" in r.stderr and "2 failed" in r.stderr
    assert f"failed: {clips / 'broken.mp4'}: input is not a video file FFmpeg can read" in r.stderr
    assert f"failed: {tmp_path / 'missing.mp4'}: input not found" in r.stderr
    assert sorted(os.listdir(out)) == ["a.mp4", "b.mp4", "vidstyle-batch.json"]  # no temporary file left
    assert probe(str(out / "a.mp4"))["frames"] == 6 and probe(str(out / "a.mp4"))["audio"] == "aac"
    assert probe(str(out / "b.mp4"))["frames"] == 4
    manifest = json.load(open(out / "vidstyle-batch.json"))
    assert sorted(manifest["tasks"]) == ["a.mp4", "b.mp4"] and manifest["tasks"]["a.mp4"]["frames"] == 6

    before = os.stat(out / "a.mp4").st_mtime_ns
    os.remove(out / "b.mp4")  # recorded as done, but gone: made again
    r = run_cli("batch", str(clips / "a.mp4"), str(clips / "b.mkv"), "-o", str(out), "--ray", "off", *FAST)
    assert r.returncode == 0, r.stderr
    assert "1 of 2 videos written (4 frames" in r.stderr and "1 already done" in r.stderr
    assert os.stat(out / "a.mp4").st_mtime_ns == before

    r = run_cli("batch", str(clips / "a.mp4"), "-o", str(out), "--ray", "off", *FAST, "--strength", "0.5")
    assert r.returncode == 1 and "output exists" in r.stderr  # other options: not done, and never clobbered


def test_inputs_of_the_same_name_and_empty_globs_fail_alone(tmp_path):
    from vidstyle.batch.inputs import items

    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    for name in ("x/clip.mp4", "y/clip.mov", "x/other.mp4"):
        (tmp_path / name).write_bytes(b"")
    got = items([str(tmp_path / "x"), str(tmp_path / "y" / "*.mov"), str(tmp_path / "*.avi"),
                 str(tmp_path / "x" / "clip.mp4")], "out", "mkv")
    assert [(os.path.relpath(i.src, tmp_path), i.dst) for i in got] == [
        ("x/clip.mp4", "out/clip.mkv"), ("x/other.mp4", "out/other.mkv"), ("y/clip.mov", "out/clip.mkv"),
        ("*.avi", "out/*.mkv")]
    assert [i.error.split(":")[0] for i in got] == ["", "", "same output name as " + str(tmp_path / "x/clip.mp4"),
                                                     "no file matches"]


def test_a_started_task_whose_output_appeared_counts_as_done_and_an_older_output_does_not(tmp_path):
    from vidstyle.batch.manifest import Manifest

    m, old, new = Manifest(str(tmp_path)), tmp_path / "old.mp4", tmp_path / "new.mp4"
    old.write_bytes(b"from before the batch")
    m.start("old.mp4", "fp", str(old))
    m.start("new.mp4", "fp", str(new))
    again = Manifest(str(tmp_path))  # the run was stopped here, and a worker finished new.mp4 after all
    new.write_bytes(b"whole output")
    assert again.done("new.mp4", "fp", str(new)) and not again.done("new.mp4", "other", str(new))
    assert not again.done("old.mp4", "fp", str(old))  # still the file from before: not this batch's
    again.record("old.mp4", "fp", frames=3)
    assert Manifest(str(tmp_path)).done("old.mp4", "fp", str(old))
