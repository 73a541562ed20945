"""Soak (slow lane: python -m pytest -m soak, 10+ minutes): a long live run from a file camera with a network
stream and a recording keeps its memory and latency flat and finalizes the recording."""
import os
import socket
import threading
import time

import numpy as np
import pytest
from media_files import make_video, probe

from vidstyle.api import Stylizer
from vidstyle.live.cameras import Capture, open_camera
from vidstyle.live.outputs import RecordOutput, StreamOutput
from vidstyle.pipelines.live import LiveSession
from vidstyle.temporal import make_temporal

pytestmark = pytest.mark.soak
SECONDS = float(os.environ.get("VIDSTYLE_SOAK_SECONDS", 600))
FPS = 15


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:")) / 1024


def test_ten_minutes_live_stay_flat(tmp_path):
    clip = make_video(str(tmp_path / "cam.mp4"), n=int(SECONDS * FPS) + 4 * FPS, size=(320, 180), rate=FPS,
                      audio=None)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    outputs = [StreamOutput(f"udp://127.0.0.1:{port}", FPS), RecordOutput(str(tmp_path / "rec.mp4"), FPS)]
    st = Stylizer(model="fast", device="cpu", disk_cache=False, temporal_stats=0.7)
    session = LiveSession(Capture(open_camera(clip)), st, outputs=outputs, temporal=make_temporal("flow"))
    memory, done = [], threading.Event()

    def sample():
        while not done.wait(5.0):
            memory.append((time.monotonic(), rss_mib()))

    threading.Thread(target=sample, daemon=True).start()
    t0 = time.monotonic()
    stats = session.run(SECONDS)
    done.set()
    after_first_minute = [m for t, m in memory if t - t0 >= 60]
    growth = max(after_first_minute) - after_first_minute[0]
    lat = list(session.latencies)
    tenth = len(lat) // 10
    first, last = np.percentile(lat[:tenth], 95) * 1000, np.percentile(lat[-tenth:], 95) * 1000
    print(f"{stats.summary()}; RSS {after_first_minute[0]:.0f} -> {max(after_first_minute):.0f} MiB (+{growth:.1f}); "
          f"latency p95 first minute {first:.1f} ms, last {last:.1f} ms")
    assert stats.seconds > 0.95 * SECONDS and stats.frames > 0.8 * SECONDS * FPS
    assert growth < 50, growth
    assert last < 1.5 * first + 5, (first, last)
    assert probe(str(tmp_path / "rec.mp4"))["frames"] == stats.outputs["record"]["sent"]
