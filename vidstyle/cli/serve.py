"""``vidstyle serve``: the live stylizer in a browser; the camera on one machine, the model on another."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import ssl
import sys

from ..errors import VidstyleError
from . import args

EXAMPLES = """examples:
  vidstyle serve                                    # http://127.0.0.1:8000/ on this machine
  vidstyle serve --host 0.0.0.0 --port 8000         # reachable from other machines; prints a token URL
  vidstyle serve --host 0.0.0.0 --token my-secret-token --certfile cert.pem --keyfile key.pem
  vidstyle serve --model fast --style a.jpg b.jpg --size 360
  vidstyle serve --stamp                            # measure the capture->display latency in the page

A browser gives pages the camera only on https:// or on http://127.0.0.1 / localhost. From another machine,
either tunnel: `ssh -L 8000:127.0.0.1:8000 gpu-box` and open http://127.0.0.1:8000/ (the video itself goes
straight between the machines over WebRTC), or serve https with --certfile/--keyfile.
"""
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
CLEANUP_S = 10.0  # at most this long to close every connection on the way out


def register(sub) -> None:
    p = sub.add_parser("serve", help="the live stylizer in a web browser (WebRTC; camera in the browser)",
                       epilog=EXAMPLES, formatter_class=args.Formatter)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; anything else requires a token)")
    p.add_argument("--port", type=args.int_in(0, 65535), default=8000, help="port (default 8000; 0: any free one)")
    p.add_argument("--token", help="access token (8-200 URL-safe characters); generated and printed when the "
                   "host is not loopback and none is given")
    p.add_argument("--certfile", metavar="PEM", help="TLS certificate: serve https (browsers give the camera "
                   "to https pages and to http://127.0.0.1 only)")
    p.add_argument("--keyfile", metavar="PEM", help="TLS private key for --certfile")
    args.add_model_options(p, "style image(s) offered on the page (default: the bundled paintings)", multi_style=True)
    args.add_temporal_options(p, "temporal smoothing stage each browser can switch on and off (default flow)")
    args.add_live_keyframes_option(p)
    p.add_argument("--stamp", action="store_true", help="measurement mode: the page stamps each camera frame's "
                   "time into its top-left 64x56 pixels, the server copies that block onto the stylized frame and the "
                   "page shows the capture->display latency (the block shows in the output; a checkbox turns it off)")
    p.add_argument("-q", "--quiet", action="store_true", help="no start line")
    p.set_defaults(func=run)


def _ssl_context(a: argparse.Namespace) -> ssl.SSLContext | None:
    if not a.certfile and not a.keyfile:
        return None
    if not (a.certfile and a.keyfile):
        raise VidstyleError("--certfile and --keyfile go together")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        ctx.load_cert_chain(a.certfile, a.keyfile)
    except (OSError, ssl.SSLError) as e:
        raise VidstyleError(f"--certfile/--keyfile: cannot load the certificate and key ({e})") from None
    return ctx


def style_name(path: str) -> str:
    """A readable name for a style file: 'painting_van_gogh_the_starry_night_1889.jpg' -> 'van gogh the ...'."""
    stem = os.path.splitext(os.path.basename(path))[0].removeprefix("painting_")
    return stem.replace("_", " ")


def value_name(value) -> str:
    """A readable name for a style value: an image path, or a mix [(path, weight)]."""
    if isinstance(value, str):
        return style_name(value)
    return " + ".join(f"{style_name(p)} {w:.0%}" for p, w in value)


def _styles(a: argparse.Namespace) -> list[tuple[str, object, str]]:
    """[(name, style value, thumbnail image)] the page offers: --style's (images, mixes, library names), else
    the bundled paintings; then the user's style library."""
    from ..styles import DEFAULT_STYLE, bundled_styles, default_style, library_styles

    if a.style:
        values = args.style_values(a.style)
    else:
        values = [default_style()] + [p for p in bundled_styles() if not p.endswith(DEFAULT_STYLE)]
    entries = [(value_name(v), v, v if isinstance(v, str) else v[0][0]) for v in values]
    return entries + [(name, path, path) for name, path in library_styles()]


def _announce(a: argparse.Namespace, host: str, port: int, token: str | None, engine, n_styles: int) -> None:
    scheme = "https" if a.certfile else "http"
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    url = f"{scheme}://{shown}:{port}/" + (f"?token={token}" if token else "")
    styles = f"{n_styles} style" + "s" * (n_styles != 1) + ", latency stamp" * a.stamp
    print(f"vidstyle: serving {url}  (model {engine.runner.model_name}, {styles}; Ctrl-C to stop)",
          file=sys.stderr, flush=True)


async def _serve(a: argparse.Namespace, engine, styles: dict, codes: dict, token: str | None) -> signal.Signals:
    """Serve until Ctrl-C, SIGTERM or SIGHUP (returns the signal) or an inference failure (raised). Every way
    out goes through the app's one shutdown (serve.lifecycle), which also stops the engine."""
    from ..serve.app import KEY_SHUTDOWN, make_app, start

    app = make_app(engine, styles, codes, token, stamp=a.stamp)
    stop, ssl_context = app[KEY_SHUTDOWN], _ssl_context(a)
    engine.start()
    runner, port = await start(app, a.host, a.port, ssl_context)  # a failure to listen runs the shutdown
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.request, sig)
    try:
        if not a.quiet:
            _announce(a, a.host, port, token, engine, len(styles))
        while engine.worker.is_alive() and not stop.requested.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.requested.wait(), 0.5)
        if not stop.requested.is_set():
            raise engine.worker.error or VidstyleError("the inference thread stopped")
        return stop.reason
    finally:
        await asyncio.wait_for(runner.cleanup(), CLEANUP_S)  # the shutdown under way, or a new one


def _check_extra() -> None:
    """A one-line error when the ``serve`` extra (aiohttp, aiortc) is not installed."""
    import importlib.util

    missing = [m for m in ("aiohttp", "aiortc") if importlib.util.find_spec(m) is None]
    if missing:
        raise VidstyleError(f"vidstyle serve needs {' and '.join(missing)}: pip install 'vidstyle[serve]' (or, in "
                            "the repository, pip install -e '.[serve]')")


def run(a: argparse.Namespace) -> int:
    from ..serve.engine import Engine
    from ..serve.guard import resolve_token

    _check_extra()
    token = resolve_token(a.host, a.token)
    _ssl_context(a)  # a bad certificate fails before the model loads
    entries = _styles(a)
    stylizer = args.stylizer(a, style=entries[0][1], smooth_stats=True)  # smoothing follows each temporal switch
    styles = {f"b{i}": (name, thumb) for i, (name, _, thumb) in enumerate(entries)}
    codes = {f"b{i}": (name, stylizer.encode_style(value)[1]) for i, (name, value, _) in enumerate(entries)}
    mode = a.temporal if a.temporal != "off" else "flow"
    engine = Engine(stylizer, lambda: args.temporal_stage(a, mode), temporal_on=a.temporal != "off",
                    keyframes=args.live_keyframes(a))
    reason = asyncio.run(_serve(a, engine, styles, codes, token))
    if not a.quiet:
        print(f"vidstyle: stopped ({reason.name})", file=sys.stderr)
    return 128 + reason  # as every command stopped by a signal
