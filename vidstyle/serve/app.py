"""The aiohttp application of ``vidstyle serve``: the page, the styles, uploads and the WebRTC signalling.

Routes (all behind the token check when a token is set: ``?token=`` once, then a cookie, or the
``X-Vidstyle-Token`` header):
- ``GET /``: the page; ``GET /static/...``: its script, style sheet and icon (also ``GET /favicon.ico``).
- ``GET /api/config``: styles [{id, name}], features, limits, the latency stamp's mode.
  ``GET /api/thumb/{id}``: a JPEG thumbnail.
- ``POST /api/offer`` {sdp, type} -> {sdp, type, stream}: a WebRTC answer (aiortc); the browser's video
  track is stylized and sent back on the same connection; a data channel carries the controls as JSON
  ({style, strength, temporal, preserve_color}).
- ``POST /api/upload?stream=ID`` (the image as the body): a new style for that stream, or {error} (400/413).
- ``GET /api/stats``: per-stream frames, drops and server-side latency.
"""
from __future__ import annotations

import asyncio
import io
import json
import os

import av
from aiohttp import web
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from PIL import Image

from ..errors import VidstyleError
from ..runtime.stages import AsyncLatest
from .guard import MAX_UPLOAD_BYTES, decode_style_image, refusal
from .lifecycle import Shutdown

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
COOKIE = "vidstyle_token"
THUMB = 96  # thumbnail short side, px
MAX_UPLOADS = 8  # uploaded styles kept per stream (the oldest goes)
KEY_APP = web.AppKey("vidstyle", dict)
KEY_SHUTDOWN = web.AppKey("vidstyle-shutdown", Shutdown)  # the app's one way to stop (serve.lifecycle)


class StylizedTrack(MediaStreamTrack):
    """The outgoing video: the newest stylized frame (latest wins, in a ``runtime`` ``AsyncLatest`` slot that
    the inference thread fills), with the input frame's timestamps."""

    kind = "video"

    def __init__(self, loop: asyncio.AbstractEventLoop):
        super().__init__()
        self.frames = AsyncLatest(loop)

    def put_threadsafe(self, rgb, frame_in) -> None:
        """Called by the inference thread with an RGB uint8 (H, W, 3) output and the input av.VideoFrame."""
        out = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        out.pts, out.time_base = frame_in.pts, frame_in.time_base
        self.frames.put(out)

    async def recv(self):
        frame = await self.frames.get() if self.readyState == "live" else None
        if frame is None:  # stopped (before or while waiting)
            raise MediaStreamError
        return frame

    def stop(self) -> None:
        super().stop()
        self.frames.close()


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def guard(request: web.Request, handler):
    """403 naming the reason (see guard.refusal: a wrong or missing token, or without a token a Host header
    that is not loopback); a right ``?token=`` sets the cookie so the page's own requests carry it."""
    token = request.app[KEY_APP]["token"]
    given = request.query.get("token") or request.headers.get("X-Vidstyle-Token") or request.cookies.get(COOKIE)
    reason = refusal(token, given, request.host)
    if reason:
        return web.Response(status=403, text=f"vidstyle: {reason}\n")
    response = await handler(request)
    if token and request.query.get("token"):
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict")
    return response


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(os.path.join(STATIC, "index.html"), headers={"Cache-Control": "no-store"})


async def favicon(request: web.Request) -> web.FileResponse:
    """The page's icon (an SVG) also at /favicon.ico, where browsers look for it on pages that name none."""
    return web.FileResponse(os.path.join(STATIC, "favicon.svg"), headers={"Content-Type": "image/svg+xml"})


async def config(request: web.Request) -> web.Response:
    state = request.app[KEY_APP]
    return web.json_response({
        "styles": [{"id": sid, "name": name} for sid, (name, _) in state["styles"].items()],
        "default_style": next(iter(state["styles"])),
        "features": {"preserve_color": state["engine"].has_preserve_color,
                     "temporal": state["engine"].make_temporal is not None},
        "temporal_on": state["engine"].temporal_on,
        "preserve_color": state["engine"].default_preserve_color,
        "max_upload_bytes": MAX_UPLOAD_BYTES,
        "stamp": state["stamp"],
    })


def make_thumbnail(path: str) -> bytes:
    """A JPEG thumbnail (short side THUMB px) of an image file."""
    with Image.open(path) as im:
        im = im.convert("RGB")
        s = THUMB / min(im.size)
        im = im.resize((max(1, round(im.width * s)), max(1, round(im.height * s))), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=85)
        return buf.getvalue()


async def thumb(request: web.Request) -> web.Response:
    state = request.app[KEY_APP]
    entry = state["styles"].get(request.match_info["sid"])
    if entry is None:
        return _json_error(404, "no such style")
    cache = state["thumbs"]
    if entry[1] not in cache:
        try:
            cache[entry[1]] = await asyncio.get_running_loop().run_in_executor(None, make_thumbnail, entry[1])
        except OSError:  # the image has gone (a library style removed) or does not read
            return _json_error(404, "the style's image cannot be read")
    return web.Response(body=cache[entry[1]], content_type="image/jpeg",
                        headers={"Cache-Control": "max-age=3600"})


async def read_limited(request: web.Request, limit: int) -> bytes | None:
    """The request body, or None when it is (or claims to be) longer than ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        return None
    data = bytearray()
    while chunk := await request.content.read(2**16):
        data += chunk
        if len(data) > limit:
            return None
    return bytes(data)


async def upload(request: web.Request) -> web.Response:
    """A style image for one stream: decoded safely, encoded, kept among the stream's uploads and selected."""
    state = request.app[KEY_APP]
    stream = state["engine"].streams.get(request.query.get("stream", ""))
    if stream is None:
        return _json_error(404, "no such stream: connect the camera first")
    data = await read_limited(request, MAX_UPLOAD_BYTES)
    if data is None:
        return _json_error(413, f"the image is larger than {MAX_UPLOAD_BYTES // 2**20} MiB")
    loop = asyncio.get_running_loop()
    try:
        rgb = await loop.run_in_executor(None, decode_style_image, data)
        _, code = await loop.run_in_executor(None, state["engine"].encode_style, rgb)
    except VidstyleError as e:
        return _json_error(400, str(e))
    name = os.path.basename(request.query.get("name", "upload"))[:80] or "upload"
    uid = f"u{state['uploads_made']}"
    state["uploads_made"] += 1
    stream.uploads[uid] = (name, code)
    while len(stream.uploads) > MAX_UPLOADS:
        stream.uploads.pop(next(iter(stream.uploads)))
    stream.style = stream.uploads[uid]
    return web.json_response({"id": uid, "name": name})


def apply_control(state: dict, stream, message: str) -> str | None:
    """Apply one JSON control message ({style, strength, temporal, preserve_color}, any subset) to a stream;
    returns an error line for the page, or None."""
    try:
        msg = json.loads(message)
        if not isinstance(msg, dict):
            raise ValueError
    except ValueError:
        return "control message is not a JSON object"
    if "style" in msg:
        code = state["codes"].get(msg["style"]) or stream.uploads.get(msg["style"])
        if code is None:
            return f"no such style: {str(msg['style'])[:40]}"
        stream.style = code
    if "strength" in msg:
        value = msg["strength"]
        if not isinstance(value, (int, float)) or not 0 <= value <= 1:
            return "strength must be a number from 0 to 1"
        stream.strength = float(value)
    if "temporal" in msg:
        stream.temporal_on = bool(msg["temporal"])
    if "preserve_color" in msg:
        if msg["preserve_color"] not in (None, "luma", "match"):
            return "preserve_color must be null, 'luma' or 'match'"
        stream.preserve_color = msg["preserve_color"]
    return None


async def _consume(track, engine, stream) -> None:
    """Feed the browser's frames to the engine as they arrive (the engine keeps only the newest)."""
    try:
        while True:
            engine.submit(stream, await track.recv())
    except MediaStreamError:
        pass


async def offer(request: web.Request) -> web.Response:
    """Answer a browser's WebRTC offer: its video comes in, the stylized video goes back on the same
    connection, and its data channel carries the controls."""
    state = request.app[KEY_APP]
    if request.app[KEY_SHUTDOWN].requested.is_set():
        return _json_error(503, "the server is stopping")
    try:
        params = await request.json()
        desc = RTCSessionDescription(sdp=str(params["sdp"]), type=str(params["type"]))
    except (ValueError, KeyError, TypeError):
        return _json_error(400, "expected a JSON WebRTC offer {sdp, type}")
    pc, engine, loop = RTCPeerConnection(), state["engine"], asyncio.get_running_loop()
    out, channels = StylizedTrack(loop), []

    def on_error(message: str) -> None:  # from the inference thread: this browser's stream has ended
        loop.call_soon_threadsafe(lambda: state["tasks"].add(asyncio.ensure_future(
            _end_peer(state, pc, channels, message))))

    stream = engine.open_stream(out.put_threadsafe, on_error)
    state["peers"][pc] = stream

    @pc.on("track")
    def on_track(track):
        if track.kind == "video":
            pc.addTrack(out)
            state["tasks"].add(asyncio.ensure_future(_consume(track, engine, stream)))

    @pc.on("datachannel")
    def on_datachannel(channel):
        channels.append(channel)

        @channel.on("message")
        def on_message(message):
            error = apply_control(state, stream, message if isinstance(message, str) else "")
            channel.send(json.dumps({"error": error} if error else {"ok": True}))

    @pc.on("connectionstatechange")
    async def on_state():
        if pc.connectionState in ("failed", "closed"):
            await _close_peer(state, pc)

    try:
        await pc.setRemoteDescription(desc)
        await pc.setLocalDescription(await pc.createAnswer())
    except Exception as e:  # noqa: BLE001 - a malformed offer is the browser's problem, said in one line
        await _close_peer(state, pc)
        return _json_error(400, f"bad WebRTC offer: {type(e).__name__}: {str(e)[:120]}")
    return web.json_response({"sdp": pc.localDescription.sdp, "type": pc.localDescription.type,
                              "stream": stream.sid})


async def _end_peer(state: dict, pc, channels: list, message: str) -> None:
    """Tell the browser why its stream ended (on its data channel, if open), then close its connection."""
    for channel in channels:
        if channel.readyState == "open":
            channel.send(json.dumps({"error": message, "ended": True}))
    await asyncio.sleep(0.2)  # let the message leave before the connection closes
    await _close_peer(state, pc)


async def _close_peer(state: dict, pc) -> None:
    stream = state["peers"].pop(pc, None)
    if stream is not None:
        state["engine"].close_stream(stream)
    await pc.close()


async def stats(request: web.Request) -> web.Response:
    engine = request.app[KEY_APP]["engine"]
    return web.json_response({sid: s.stats() for sid, s in list(engine.streams.items())})


async def _close_peers(state: dict) -> int:
    """Cancel the tasks feeding the engine and close every browser's connection (part of ``Shutdown``); returns
    how many were open."""
    for task in state["tasks"]:
        task.cancel()
    peers = list(state["peers"])
    await asyncio.gather(*(_close_peer(state, pc) for pc in peers))
    return len(peers)


async def shutdown(app: web.Application, reason="shutdown") -> None:
    """Stop the application through its one ``Shutdown`` (serve.lifecycle): run once, whoever calls; it is
    also the app's ``on_shutdown``."""
    await app[KEY_SHUTDOWN].run(reason)


def make_app(engine, styles: dict, codes: dict, token: str | None, stamp: bool = False) -> web.Application:
    """The application: ``engine`` (serve.engine.Engine, started by the caller), ``styles`` {id: (name,
    thumbnail image path)} and their encoded ``codes`` {id: (name, code)}, the required ``token`` (None:
    loopback only) and ``stamp``: the page's measurement mode (it stamps the latency stamp into its camera
    frames, and the engine copies it onto the output). ``app[KEY_SHUTDOWN]``, the app's one shutdown (also
    its ``on_shutdown``, run by ``runner.cleanup()``), closes every connection and stops the engine."""
    app = web.Application(middlewares=[guard], client_max_size=MAX_UPLOAD_BYTES + 2**16)
    state = {"engine": engine, "styles": styles, "codes": codes, "token": token, "stamp": stamp,
             "thumbs": {}, "peers": {}, "tasks": set(), "uploads_made": 0}
    app[KEY_APP], app[KEY_SHUTDOWN] = state, Shutdown(lambda: _close_peers(state), engine)
    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/api/config", config)
    app.router.add_get("/api/thumb/{sid}", thumb)
    app.router.add_get("/api/stats", stats)
    app.router.add_post("/api/offer", offer)
    app.router.add_post("/api/upload", upload)
    app.on_shutdown.append(shutdown)
    return app


async def start(app: web.Application, host: str, port: int, ssl_context=None) -> tuple[web.AppRunner, int]:
    """Listen on host:port (0: any free port); returns the runner (``await runner.cleanup()`` to stop: it runs
    the app's shutdown) and the port. A failure to listen runs the shutdown too, then raises."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    try:
        await site.start()
    except OSError as e:
        await runner.cleanup()
        raise VidstyleError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    return runner, runner.addresses[0][1]  # the real port when 0 was asked for
