"""Drive the ``vidstyle serve`` page in a real browser: a headless Chromium (the system's, e.g. Debian's
``chromium``; never a downloaded one) with a fake camera fed from a generated clip, through Playwright. Used by
the browser test (``tests/serve/test_serve_browser.py``), the command-line test of ``serve`` and
``scripts/serve-bench``; the Playwright browser is passed in.
"""
from __future__ import annotations

import base64
import collections
import io
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import cv2
import numpy as np
from PIL import Image

from vidstyle.media.images import load_image
from vidstyle.styles import SAMPLES_DIR

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CLIP_PHOTO = "photo_chameleon.jpg"
URL_LINE = re.compile(r"serving (\S+)")


def find_chromium() -> str | None:
    """The Chromium binary: $VIDSTYLE_CHROMIUM, else the first of CHROMIUM_NAMES on PATH; None when none."""
    path = os.environ.get("VIDSTYLE_CHROMIUM")
    if path:
        return path if os.access(path, os.X_OK) else None
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


def clip_frames(w: int, h: int, n: int) -> list[np.ndarray]:
    """``n`` RGB uint8 (h, w, 3) frames that pan slowly across a bundled photo (a camera-like input)."""
    photo = load_image(os.path.join(SAMPLES_DIR, CLIP_PHOTO), "clip")
    s = 1.25 * max(w / photo.shape[1], h / photo.shape[0])
    big = cv2.resize(photo, (round(photo.shape[1] * s), round(photo.shape[0] * s)), interpolation=cv2.INTER_AREA)
    span = big.shape[1] - w
    xs = [round(span * (0.5 - 0.5 * np.cos(2 * np.pi * i / n))) for i in range(n)]  # there and back: it loops
    y = (big.shape[0] - h) // 2
    return [np.ascontiguousarray(big[y:y + h, x:x + w]) for x in xs]


def write_y4m(path: str, frames: list[np.ndarray], fps: int) -> None:
    """Write RGB uint8 (H, W, 3) frames as a YUV4MPEG2 4:2:0 file (Chromium's fake camera format)."""
    h, w = frames[0].shape[:2]
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in frames:
            f.write(b"FRAME\n" + cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())


def chromium_args(clip: str) -> list[str]:
    return ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}", "--autoplay-policy=no-user-gesture-required",
            "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows", "--no-sandbox"]


def start_server(extra: list[str], timeout: float = 60.0, top: tuple = ()) -> tuple[subprocess.Popen, str]:
    """Start ``vidstyle TOP... serve --port 0 EXTRA...`` (``top``: options of ``vidstyle`` itself, such as
    ``--debug``) and wait for its address line; (process, url). Its stderr lines, then and later, are in
    ``process.lines`` (the last 200; complete once ``process.drain`` has ended)."""
    proc = subprocess.Popen([sys.executable, "-m", "vidstyle", *top, "serve", "--port", "0", *extra],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        if m := URL_LINE.search(line):
            # keep reading its stderr (into proc.lines) so that a chatty server never blocks on a full pipe
            proc.lines = collections.deque(lines, maxlen=200)
            proc.drain = threading.Thread(target=proc.lines.extend, args=(proc.stderr,), daemon=True)
            proc.drain.start()
            return proc, m.group(1)
    proc.kill()
    raise RuntimeError(f"vidstyle serve did not start: {''.join(lines)[-500:]}")


def open_page(browser, url: str, timeout_s: float = 30.0, failures: list | None = None):
    """A new page (own context) at ``url``, once its stylized video plays; raises naming the page's status.
    ``failures``: a list that collects, from the start, every answer of 400 or more and every console error."""
    page = browser.new_context().new_page()
    if failures is not None:
        page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
        page.on("console", lambda m: m.type == "error" and failures.append(f"console: {m.text}"))
    page.goto(url)
    try:
        page.wait_for_function("window.vidstyle && vidstyle.state.status === 'playing' && "
                               "document.getElementById('output').videoWidth > 0", timeout=timeout_s * 1000)
    except Exception:
        status = page.evaluate("window.vidstyle ? vidstyle.state.status : 'no page script'")
        raise RuntimeError(f"the page did not play within {timeout_s:.0f} s: {status}") from None
    return page


def png_rgb(data_url: str) -> np.ndarray:
    """A PNG data URL -> RGB uint8 (H, W, 3)."""
    raw = base64.b64decode(data_url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))
