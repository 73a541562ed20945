"""`vidstyle batch` on a two-machine Ray cluster simulated on this one (``ray.cluster_utils.Cluster``): inputs and
outputs on storage both machines share (here: the same disk), a worker killed mid-task, an interrupted run
resumed. Behind the ``ray`` marker (about a minute): ``python -m pytest -m ray``."""
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT, default_sigint
from media_files import make_video, probe

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

from vidstyle.batch.driver import run_batch  # noqa: E402
from vidstyle.batch.inputs import items  # noqa: E402
from vidstyle.jobs.options import VideoOptions  # noqa: E402

pytestmark = pytest.mark.ray
OPTS = VideoOptions(model="fast", device="cpu", precision="fp32", size=32, temporal="off", batch=1)
FAST = ("--model", "fast", "--device", "cpu", "--precision", "fp32", "--size", "32", "--temporal", "off",
        "--batch", "1")


@pytest.fixture(scope="module")
def cluster():
    """A head and a second node, one CPU each; this process is the driver."""
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    c.add_node(num_cpus=1)
    c.wait_for_nodes()
    ray.init(address=c.address, logging_level="ERROR")
    yield c
    ray.shutdown()
    c.shutdown()


def wait_for(cond, timeout=120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_three_clips_and_a_film_in_four_segments_on_two_nodes_and_a_killed_worker_is_retried(cluster, tmp_path,
                                                                                              monkeypatch):
    from vidstyle.batch.ray_pool import RayPool

    monkeypatch.setattr("vidstyle.runtime.progress.LOG_EVERY_S", 0.0)  # a progress line at every update
    stream = io.StringIO()
    clips = tmp_path / "clips"
    clips.mkdir()
    for i, n in enumerate((90, 12, 14)):
        make_video(str(clips / f"c{i}.mp4"), n=n, size=(64, 48), audio="aac")  # one keyframe: never cut
    make_video(str(clips / "film.mp4"), n=100, size=(64, 48), audio="aac", rotation=90, gop=25)  # 4 s, 4 keyframes
    out = tmp_path / "out"
    out.mkdir()
    pool = RayPool("auto", 2, OPTS)
    assert pool.workers == 2  # one thread each: one per node
    killed = []

    def kill_first_writer():  # the worker writing c0 (the long clip), once it has started
        wait_for(lambda: any(n.startswith(".c0.mp4.vidstyle-") for n in os.listdir(out)))
        part = next(n for n in os.listdir(out) if n.startswith(".c0.mp4.vidstyle-"))
        pid = int(part.split("vidstyle-")[1].split("-")[0])
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    killer = threading.Thread(target=kill_first_writer, daemon=True)
    killer.start()
    try:
        summary = run_batch(items([str(clips)], str(out), "mp4"), OPTS, str(out), pool, stream=stream,
                            segment_seconds=1.0, warmup=10)
    finally:
        pool.close()
    killer.join(5)
    assert killed, "the worker was not killed"
    seen = [(int(a), int(b)) for a, b in re.findall(r"(\d+)/(\d+) frames", stream.getvalue())]
    assert all(n <= total for n, total in seen) and seen[-1][0] == seen[-1][1], seen  # the retry counted once
    assert summary.failed == [] and len(summary.done) == 4
    for i, n in enumerate((90, 12, 14)):
        info = probe(str(out / f"c{i}.mp4"))
        assert info["frames"] == n and info["audio"] == "aac"
    film, joined = probe(str(clips / "film.mp4")), probe(str(out / "film.mp4"))
    assert joined["frames"] == 100 and joined["times"] == film["times"] and joined["rotation"] == 90
    assert joined["audio"] == "aac" and abs(joined["audio_duration"] - film["audio_duration"]) < 0.05
    assert json.load(open(out / "vidstyle-batch.json"))["tasks"]["film.mp4"]["segments"] == 4
    assert sorted(n for n in os.listdir(out) if not n.startswith(".")) == ["c0.mp4", "c1.mp4", "c2.mp4", "film.mp4",
                                                                         "vidstyle-batch.json"]
    assert not [n for n in os.listdir(out) if ".part" in n]


def test_an_interrupted_run_resumes_from_its_manifest(cluster, tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    for i in range(4):
        make_video(str(clips / f"c{i}.mp4"), n=8 if i < 2 else 120, size=(64, 48), audio=None)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "vidstyle", "batch", str(clips), "-o", str(out), "--ray", cluster.address,
           "--workers", "2", *FAST]
    env = dict(os.environ, PYTHONPATH=ROOT)
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT, preexec_fn=default_sigint)
    manifest = out / "vidstyle-batch.json"

    def finished():
        return [k for k, v in json.load(open(manifest))["tasks"].items() if v["state"] == "done"]

    wait_for(lambda: manifest.exists() and finished())
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    first = finished()
    assert 1 <= len(first) < 4
    # a worker may finish its clip after the interrupt: started in the manifest, its output whole, so done too
    whole = [n for n in os.listdir(out) if n.endswith(".mp4") and not n.startswith(".")]
    assert set(first) <= set(whole)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"{len(whole)} already done" in r.stderr
    assert sorted(finished()) == ["c0.mp4", "c1.mp4", "c2.mp4", "c3.mp4"]
    assert [probe(str(out / f"c{i}.mp4"))["frames"] for i in range(4)] == [8, 8, 120, 120]
