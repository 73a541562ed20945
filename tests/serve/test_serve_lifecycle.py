"""How `vidstyle serve` hands frames to a browser and how it stops: the outgoing track keeps only the newest frame
(the runtime's latest-wins slot), and one shutdown, run once whoever asks, closes every connection and stops the
inference thread. Real WebRTC peers (aiortc) over 127.0.0.1, a real `vidstyle serve` process for the signals."""
import asyncio
import fractions
import json
import signal
import socket
import threading
import urllib.error
import urllib.request

import av
import numpy as np
import pytest

pytest.importorskip("aiortc", reason="needs the serve extra: pip install -e '.[serve]'")

from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack  # noqa: E402
from aiortc.mediastreams import MediaStreamError  # noqa: E402
from browser_harness import start_server  # noqa: E402

from vidstyle.api import Stylizer  # noqa: E402
from vidstyle.errors import VidstyleError  # noqa: E402
from vidstyle.serve.app import KEY_APP, KEY_SHUTDOWN, StylizedTrack, make_app, shutdown, start  # noqa: E402
from vidstyle.serve.engine import Engine  # noqa: E402
from vidstyle.styles import SAMPLES_DIR  # noqa: E402

STYLE = f"{SAMPLES_DIR}/painting_hokusai_great_wave_off_kanagawa.jpg"
ENDED = ("closed", "failed")


class Camera(VideoStreamTrack):
    """A small grey camera for a WebRTC test peer (64x48, 30 fps)."""

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 128, np.uint8), format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


def post_json(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


async def connect(base_url: str) -> RTCPeerConnection:
    """A peer like the page: its camera out, the stylized video back, a control channel; once connected."""
    pc = RTCPeerConnection()
    pc.addTrack(Camera())
    pc.createDataChannel("controls")
    await pc.setLocalDescription(await pc.createOffer())
    loop = asyncio.get_running_loop()
    status, answer = await loop.run_in_executor(None, post_json, f"{base_url}api/offer",
                                                {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type})
    assert status == 200, answer
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
    await until(lambda: pc.connectionState == "connected", f"the peer did not connect ({pc.connectionState})")
    return pc


async def until(cond, what: str, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.05)


def output(pts: int) -> tuple[np.ndarray, av.VideoFrame]:
    """(RGB output, input frame) as the inference thread hands them to the track."""
    frame_in = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
    frame_in.pts, frame_in.time_base = pts, fractions.Fraction(1, 30)
    return np.full((16, 16, 3), pts, np.uint8), frame_in


def test_the_outgoing_track_hands_out_only_the_newest_frame():
    async def main():
        track = StylizedTrack(asyncio.get_running_loop())
        thread = threading.Thread(target=lambda: [track.put_threadsafe(*output(p)) for p in (1, 2, 3)])
        thread.start()
        thread.join()  # three frames from the inference thread before the sender reads: only the last is kept
        assert (await asyncio.wait_for(track.recv(), 5)).pts == 3 and track.frames.dropped == 2
        waiting = asyncio.ensure_future(track.recv())
        with pytest.raises(asyncio.TimeoutError):  # nothing queued behind it
            await asyncio.wait_for(asyncio.shield(waiting), 0.3)
        threading.Thread(target=track.put_threadsafe, args=output(4)).start()  # wakes the waiting reader
        frame = await asyncio.wait_for(waiting, 5)
        assert frame.pts == 4 and frame.to_ndarray(format="rgb24")[0, 0, 0] == 4
        waiting = asyncio.ensure_future(track.recv())
        await asyncio.sleep(0.05)
        track.stop()  # a reader waiting when the track stops is told the stream has ended
        with pytest.raises(MediaStreamError):
            await asyncio.wait_for(waiting, 5)
        with pytest.raises(MediaStreamError):
            await track.recv()

    asyncio.run(main())


@pytest.fixture(scope="module")
def stylizer():
    return Stylizer(model="fast", device="cpu", precision="fp32", temporal_stats=0.7)


def test_the_apps_own_shutdown_closes_everything_once_whoever_asks(stylizer):
    engine = Engine(stylizer)
    stops = []
    engine_stop = engine.stop
    engine.stop = lambda: (stops.append(threading.current_thread().name), engine_stop())
    app = make_app(engine, {"b0": ("wave", STYLE)}, {"b0": engine.default_style}, None)

    async def main():
        engine.start()
        runner, port = await start(app, "127.0.0.1", 0)
        base = f"http://127.0.0.1:{port}/"
        client = await connect(base)
        state, stop = app[KEY_APP], app[KEY_SHUTDOWN]
        assert len(state["peers"]) == 1 and len(engine.streams) == 1
        first = asyncio.ensure_future(shutdown(app, "first"))
        await asyncio.sleep(0)
        status, body = await asyncio.get_running_loop().run_in_executor(None, post_json, f"{base}api/offer", {})
        assert status == 503 and "stopping" in body["error"]  # no new browser while it stops
        await asyncio.gather(first, shutdown(app, "second"), stop.run("third"))
        await runner.cleanup()  # the app's own shutdown (on_shutdown): the same one, already done
        assert len(stops) == 1 and stops[0] != threading.main_thread().name, stops  # once, off the event loop
        assert stop.reason == "first" and not engine.worker.is_alive()
        assert not state["peers"] and not engine.streams
        await until(lambda: client.connectionState in ENDED, f"the browser's connection is {client.connectionState}")
        await client.close()

    asyncio.run(main())


def test_a_failed_start_runs_the_shutdown_too(stylizer):
    engine = Engine(stylizer)
    app = make_app(engine, {"b0": ("wave", STYLE)}, {"b0": engine.default_style}, None)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        engine.start()
        with pytest.raises(VidstyleError, match="cannot listen on 127.0.0.1"):
            asyncio.run(start(app, "127.0.0.1", busy.getsockname()[1]))
    assert app[KEY_SHUTDOWN].reason == "shutdown" and not engine.worker.is_alive()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_vidstyle_serve_runs_the_one_shutdown_once(sig):
    proc, url = start_server(["--model", "fast", "--precision", "fp32", "--style", STYLE], top=("--debug",))

    async def main():
        client = await connect(url)
        proc.send_signal(sig)
        await until(lambda: client.connectionState in ENDED, f"the browser's connection is {client.connectionState}")
        await client.close()

    try:
        asyncio.run(main())
    except BaseException:
        proc.kill()
        raise
    finally:
        proc.wait(30)
        proc.drain.join(10)
    err = "".join(proc.lines)
    assert proc.returncode == 128 + sig and f"stopped ({sig.name})" in err and "Traceback" not in err, err
    assert err.count("shut down (") == 1, err  # the signal's, not again for the app's own shutdown
    assert f"shut down ({sig.name}): 1 connection closed, the inference thread stopped" in err, err
