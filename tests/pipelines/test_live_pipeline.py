"""The live pipeline (`vidstyle webcam` without the CLI): file-as-camera and synthetic cameras, latest-wins
dropping with a slow model and a slow output, the MPEG-TS stream received on loopback by a real PyAV reader,
the recording, a camera lost mid-run, and `bench --live`."""
import socket
import threading
import time

import av
import numpy as np
import pytest
from live_helpers import FlakyCamera, ListOutput, SlowStylizer
from media_files import make_video, probe

from vidstyle.bench import live_bench
from vidstyle.live.cameras import Capture, SyntheticCamera, open_camera
from vidstyle.live.outputs import Output, RecordOutput, StreamOutput
from vidstyle.live.stamp import read_stamp
from vidstyle.pipelines.live import LiveSession
from vidstyle.runtime.stages import Latest


@pytest.fixture(scope="module")
def adain():
    from vidstyle.api import Stylizer

    return Stylizer(model="adain", size=32)


def test_latest_slot_keeps_only_the_newest():
    slot = Latest()
    for i in range(5):
        slot.put(i)
    assert slot.get(0) == 4 and slot.dropped == 4
    assert slot.get(0.01) is None
    slot.put("last")
    slot.close()
    assert slot.get() == "last" and slot.get() is None  # closed: the unread item first, then None at once


def test_file_as_camera_plays_at_its_frame_rate_and_ends(tmp_path, adain):
    clip = make_video(str(tmp_path / "cam.mp4"), n=30, size=(64, 48), rate=30, audio=None)
    cam = open_camera(clip)
    assert not cam.live and cam.mode().startswith("64x48")
    stats = LiveSession(Capture(cam), adain).run(duration=20)
    assert stats.frames + stats.camera_dropped == 30 and stats.frames > 0
    assert stats.seconds >= 29 / 30 * 0.95  # paced at 30 fps, not as fast as decoding goes
    assert stats.reason == f"end of {clip}"


def test_slow_model_drops_camera_frames_and_latency_stays_bounded():
    delay = 0.12
    st = SlowStylizer(delay)
    session = LiveSession(Capture(SyntheticCamera((64, 48), fps=60)), st)
    stats = session.run(duration=2.5)
    assert stats.reason == "duration reached"
    assert stats.camera_dropped > stats.frames  # the model takes ~1 of every 7 frames: the rest are dropped
    lat, call = np.array(session.latencies), np.array(st.seconds)
    # latency = the model call (as long as it took here) plus at most one camera interval of waiting ...
    assert np.median(lat) < np.median(call) + 2 / 60
    third = len(lat) // 3  # ... and it does not grow over the run (queued frames would add a call each)
    assert third >= 2 and lat[-third:].mean() < lat[:third].mean() + np.median(call) / 2


class SlowOutput(Output):
    name = "slow"

    def send(self, frame):
        time.sleep(0.2)


def test_a_slow_output_drops_frames_without_stalling_the_model_or_the_others():
    fast, slow = ListOutput(), SlowOutput()
    stats = LiveSession(Capture(SyntheticCamera((64, 48), fps=30)), SlowStylizer(), outputs=[slow, fast]).run(2.0)
    sent, dropped = stats.outputs["slow"]["sent"], stats.outputs["slow"]["dropped"]
    assert sent <= 12 and dropped > sent  # 0.2 s a frame: it takes at most 2.0 / 0.2 + 1 + the last one
    assert stats.frames >= 3 * sent  # the model and the other output go on at the camera's pace
    assert stats.outputs["list"]["sent"] >= stats.frames - 2
    assert fast.frames[0].shape == (48, 64, 3)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def receive(url: str, got: list, errors: list) -> None:
    """Decode an MPEG-TS stream from ``url`` until the sender goes quiet for 2 s; appends (W, H, delay ms)."""
    try:
        with av.open(url + "?timeout=2000000&overrun_nonfatal=1&fifo_size=100000", format="mpegts",
                     options={"probesize": "32768"}) as c:
            for f in c.decode(video=0):
                ms = read_stamp(f.to_ndarray(format="rgb24"))
                got.append((f.width, f.height, None if ms is None else time.time() * 1000 - ms))
    except av.error.FFmpegError as e:
        if not got:
            errors.append(e)


def test_stream_is_received_on_loopback_with_the_capture_time_stamped(adain):
    port = free_udp_port()
    got, errors = [], []
    receiver = threading.Thread(target=receive, args=(f"udp://127.0.0.1:{port}", got, errors), daemon=True)
    receiver.start()
    time.sleep(0.3)
    out = StreamOutput(f"udp://127.0.0.1:{port}", fps=30, stamp_time=True)
    stats = LiveSession(Capture(SyntheticCamera((160, 120), fps=30, frames=60)), adain, outputs=[out]).run(20)
    receiver.join(timeout=15)
    assert not errors, errors
    sent = stats.outputs["stream"]["sent"]
    assert sent >= 2 and len(got) >= 0.8 * sent  # UDP on loopback loses little
    assert {(w, h) for w, h, _ in got} == {(160, 120)}
    delays = [d for _, _, d in got[:-1] if d is not None]  # the last frame waits for the receiver's timeout
    assert len(delays) == len(got) - 1
    assert 0 < np.median(delays) < stats.seconds * 1000  # captured during the run, received after


def test_recording_is_a_valid_file_with_wall_clock_timing(tmp_path, adain):
    path = str(tmp_path / "rec.mp4")
    rec = RecordOutput(path, fps=30)
    stats = LiveSession(Capture(SyntheticCamera((96, 64), fps=30, frames=45)), adain, outputs=[rec]).run(20)
    info = probe(path)
    assert info["frames"] == stats.outputs["record"]["sent"] > 0
    assert info["size"] == (96, 64)
    # the frames' times are their capture times: 45 frames at 30 fps span 44 / 30 s at least (whatever was
    # dropped), and no longer than the run
    times = info["times"]
    assert times == sorted(times)
    assert 44 / 30 * 0.9 < times[-1] - times[0] <= stats.seconds, (times[-1] - times[0], stats.seconds)


def test_camera_lost_is_retried_then_the_run_ends_cleanly(caplog, tmp_path):
    cam = FlakyCamera(plan=[10, 10], reopens=[False, True, False, False])
    rec = RecordOutput(str(tmp_path / "rec.mp4"), fps=30)
    stats = LiveSession(Capture(cam, retry_s=1.5), SlowStylizer(), outputs=[rec]).run(duration=30)
    assert cam.count == 20 and stats.frames >= 15  # came back once after a failed retry
    assert stats.reason == "camera flaky lost and not back after 1.5 s"
    assert "camera flaky lost: retrying every second" in caplog.text and "camera flaky is back" in caplog.text
    assert probe(rec.path)["frames"] == stats.outputs["record"]["sent"]


def test_live_bench_reports_fps_and_latency():
    r = live_bench("adain", size=32, seconds=1.5, resolution=(160, 120), fps=30)
    assert r["frames"] > 0 and r["fps"] == pytest.approx(r["frames"] / r["seconds"], rel=0.02)
    assert 0 < r["latency_p50_ms"] <= r["latency_p95_ms"] < r["seconds"] * 1000
    assert r["camera_dropped"] >= 0 and r["camera"] == "160x120@30"
