"""The `vidstyle serve` application over real sockets on 127.0.0.1: token checks, uploads, controls."""
import asyncio
import http.client
import io
import json
import re
import threading
from xml.etree import ElementTree

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("aiortc", reason="needs the serve extra: pip install -e '.[serve]'")

from vidstyle.api import Stylizer  # noqa: E402
from vidstyle.serve.app import apply_control, make_app, start  # noqa: E402
from vidstyle.serve.engine import Engine  # noqa: E402
from vidstyle.serve.guard import MAX_UPLOAD_BYTES  # noqa: E402

TOKEN = "right-token-123"


class Served:
    """An application listening on 127.0.0.1 (any free port), its event loop in a thread."""

    def __init__(self, app):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner, self.port = self.call(start(app, "127.0.0.1", 0))

    def call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, dict(r.getheaders()), data

    def close(self):
        self.call(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def engine():
    st = Stylizer(model="fast", device="cpu", precision="fp32", temporal_stats=0.7)
    e = Engine(st)
    e.start()
    yield e
    e.stop()


@pytest.fixture(scope="module")
def servers(engine):
    codes = {"b0": ("starry", engine.default_style)}
    styles = {"b0": ("starry", "samples/painting_van_gogh_the_starry_night_1889.jpg")}
    open_ = Served(make_app(engine, styles, {"b0": codes["b0"][1]}, None))
    guarded = Served(make_app(engine, styles, {"b0": codes["b0"][1]}, TOKEN, stamp=True))
    yield open_, guarded
    open_.close()
    guarded.close()


def png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def test_loopback_without_token_serves_the_page_but_not_other_host_names(servers):
    open_, _ = servers
    status, _, body = open_.request("GET", "/")
    assert status == 200 and b"<video" in body
    assert open_.request("GET", "/static/app.js")[0] == 200
    config = json.loads(open_.request("GET", "/api/config")[2])
    assert config["styles"] == [{"id": "b0", "name": "starry"}] and config["max_upload_bytes"] == MAX_UPLOAD_BYTES
    assert config["stamp"] is False  # the latency stamp is a measurement mode (--stamp), off unless asked for
    status, _, body = open_.request("GET", "/", headers={"Host": "attacker.example:8000"})  # DNS rebinding
    assert status == 403 and b"Host header not allowed" in body and b"wrong or missing token" not in body, body


def test_the_page_has_a_small_icon_of_its_own(servers):
    open_, guarded = servers
    href = re.search(r'<link rel="icon" href="([^"]+)"', open_.request("GET", "/")[2].decode())
    assert href, "the page names no icon"
    for path in (href.group(1), "/favicon.ico"):
        status, headers, body = open_.request("GET", path)
        assert status == 200 and headers["Content-Type"] == "image/svg+xml", (path, status)
        assert ElementTree.fromstring(body).tag == "{http://www.w3.org/2000/svg}svg" and len(body) < 2000
    assert guarded.request("GET", "/favicon.ico")[0] == 403  # behind the token like everything else


def test_a_wrong_or_missing_token_is_refused_everywhere(servers):
    _, guarded = servers
    for path in ("/", "/?token=wrong-token-123", "/static/app.js", "/api/config", "/api/stats", "/api/thumb/b0"):
        status, _, body = guarded.request("GET", path)
        assert status == 403 and b"token" in body, path
    assert guarded.request("POST", "/api/offer", b"{}", {"X-Vidstyle-Token": "wrong-token-123"})[0] == 403
    assert guarded.request("POST", "/api/upload?stream=s1", png(32, 32))[0] == 403


def test_the_right_token_opens_the_page_and_sets_a_cookie_for_its_requests(servers):
    _, guarded = servers
    status, headers, _ = guarded.request("GET", f"/?token={TOKEN}")
    assert status == 200 and "vidstyle_token=" in headers["Set-Cookie"] and "HttpOnly" in headers["Set-Cookie"]
    cookie = headers["Set-Cookie"].split(";")[0]
    status, _, body = guarded.request("GET", "/api/config", headers={"Cookie": cookie})
    assert status == 200 and json.loads(body)["stamp"] is True  # this one was made with stamp=True
    status, headers, body = guarded.request("GET", "/api/thumb/b0", headers={"X-Vidstyle-Token": TOKEN})
    assert status == 200 and headers["Content-Type"] == "image/jpeg" and min(Image.open(io.BytesIO(body)).size) == 96


def test_uploads_are_checked_and_a_bad_one_is_a_message(servers, engine):
    open_, _ = servers
    stream = engine.open_stream(lambda rgb, frame: None)
    try:
        cases = [("/api/upload?stream=nope", png(32, 32), 404, "no such stream"),
                 (f"/api/upload?stream={stream.sid}", b"GIF89a but not really", 400, "not an image"),
                 (f"/api/upload?stream={stream.sid}", b"\xff" * (MAX_UPLOAD_BYTES + 1), 413, "larger than 8 MiB"),
                 (f"/api/upload?stream={stream.sid}", b"", 400, "empty")]
        for path, body, code, words in cases:
            status, headers, data = open_.request("POST", path, body)
            assert status == code and headers["Content-Type"].startswith("application/json"), (words, status)
            assert words in json.loads(data)["error"]
        assert stream.style[0] != "mine.png" and not stream.uploads
        status, _, data = open_.request("POST", f"/api/upload?stream={stream.sid}&name=mine.png", png(64, 48))
        reply = json.loads(data)
        assert status == 200 and reply["name"] == "mine.png" and stream.uploads[reply["id"]] is stream.style
        assert stream.style[1] is not engine.default_style[1]
    finally:
        engine.close_stream(stream)


def test_a_malformed_offer_is_a_message(servers):
    open_, _ = servers
    status, _, data = open_.request("POST", "/api/offer", b"not json")
    assert status == 400 and "WebRTC offer" in json.loads(data)["error"]
    status, _, data = open_.request("POST", "/api/offer", json.dumps({"sdp": "v=0 nonsense", "type": "offer"}).encode())
    assert status == 400 and "bad WebRTC offer" in json.loads(data)["error"]


def test_control_messages(engine):
    stream = engine.open_stream(lambda rgb, frame: None)
    state = {"codes": {"b0": engine.default_style}}
    try:
        assert apply_control(state, stream, '{"strength": 0.25, "temporal": false}') is None
        assert stream.strength == 0.25 and stream.temporal_on is False
        assert "JSON object" in apply_control(state, stream, "[1, 2]")
        assert "from 0 to 1" in apply_control(state, stream, '{"strength": 3}') and stream.strength == 0.25
        assert "no such style" in apply_control(state, stream, '{"style": "b9"}')
        assert "preserve_color" in apply_control(state, stream, '{"preserve_color": "sepia"}')
        assert apply_control(state, stream, '{"style": "b0", "preserve_color": "luma"}') is None
        assert stream.preserve_color == "luma" and stream.style is engine.default_style
    finally:
        engine.close_stream(stream)
