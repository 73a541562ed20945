"""`vidstyle serve` in a real browser: Debian's Chromium, headless, with a fake camera fed from a generated clip,
driven by Playwright (no browser download). Skipped, saying why, where Chromium or the Python packages are
missing (`.ci/run` installs them; see docs/live.md, "Browser test")."""
import os

import numpy as np
import pytest

pytest.importorskip("aiortc", reason="needs the serve extra: pip install -e '.[serve]'")
sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright: pip install -e '.[test]'")

from browser_harness import (  # noqa: E402
    chromium_args,
    clip_frames,
    find_chromium,
    open_page,
    png_rgb,
    start_server,
    write_y4m,
)

from vidstyle.api import Stylizer  # noqa: E402
from vidstyle.live.stamp import CELL as STAMP_CELL  # noqa: E402
from vidstyle.live.stamp import COLS, ROWS  # noqa: E402
from vidstyle.styles import SAMPLES_DIR  # noqa: E402

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH (Debian: apt-get install chromium; or "
                                "set VIDSTYLE_CHROMIUM); .ci/run installs it")
W, H, FPS = 320, 240, 15
TOKEN = "browser-test-token"
STYLES = [os.path.join(SAMPLES_DIR, n) for n in ("painting_van_gogh_the_starry_night_1889.jpg",
                                                 "painting_hokusai_great_wave_off_kanagawa.jpg")]
MATCH_MAD = 14.0  # mean absolute difference (0-255) allowed between the page's frame and the local stylizer's


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    clip = str(tmp_path_factory.mktemp("serve") / "clip.y4m")
    write_y4m(clip, clip_frames(W, H, 4 * FPS), FPS)
    proc, url = start_server(["--model", "fast", "--precision", "fp32", "--token", TOKEN, "--stamp",
                              "--style", *STYLES])  # the stamp pairs each output frame with its camera frame
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=chromium_args(clip))
            yield browser, url
            browser.close()
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture(scope="module")
def failures():
    return []


@pytest.fixture(scope="module")
def page(served, failures):
    browser, url = served
    p = open_page(browser, url, failures=failures)
    p.evaluate("vidstyle.state.keepInputs = true")
    p.uncheck("#temporal")  # the local reference below is per frame
    return p


@pytest.fixture(scope="module")
def references():
    """references[i](rgb): what the server must send back for camera frame ``rgb`` in style i (temporal off)."""
    st = Stylizer(style=STYLES[0], model="fast", device="cpu", precision="fp32")  # codes: the server's disk cache
    codes = [st.encode_style(path)[1] for path in STYLES]

    def in_style(i):
        def run(rgb):
            st.style_code = codes[i]
            return st(rgb)
        return run
    return [in_style(i) for i in range(len(STYLES))]


def outside_stamp(rgb: np.ndarray) -> np.ndarray:
    """The frame's pixels outside the latency stamp's block, as int."""
    out = rgb.astype(int)
    out[: ROWS * STAMP_CELL, : COLS * STAMP_CELL] = 0
    return out


def mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(outside_stamp(a) - outside_stamp(b)).mean())


def grab_pair(page, tries: int = 40):
    """(output frame on screen, the camera frame it was made from, page time of the grab), both RGB uint8."""
    for _ in range(tries):
        g = page.evaluate("vidstyle.grab()")
        src = page.evaluate("(ms) => vidstyle.inputFrame(ms)", g["stamp"]) if g["stamp"] is not None else None
        if src is not None:
            return png_rgb(g["png"]), png_rgb(src), g["t"]
        page.wait_for_timeout(50)
    raise AssertionError("no output frame carried a stamp the page had sent")


def test_a_wrong_token_is_refused(served):
    browser, url = served
    base = url.split("?")[0]
    p = browser.new_context().new_page()
    assert p.goto(f"{base}?token=wrong-token-000").status == 403
    assert p.goto(base).status == 403
    assert p.request.post(f"{base}api/offer", data="{}").status == 403
    p.context.close()


def test_the_stylized_video_plays_and_matches_the_stylizer(page, references, failures):
    size = page.evaluate("(v => [v.videoWidth, v.videoHeight])(document.getElementById('output'))")
    assert size == [W, H]
    assert not failures, failures  # no request failed (the icon included), no error in the console
    assert page.is_visible("#stamp-control") and page.is_checked("#stamp")  # --stamp: measuring
    page.wait_for_timeout(500)
    stats = page.evaluate("vidstyle.stats()")
    assert stats["fps"] > 0 and stats["stamped"] > 0 and stats["p50"] > 0, stats
    for _ in range(2):
        out, inp, _ = grab_pair(page)
        assert out.shape == inp.shape == (H, W, 3)
        ref = references[0](inp)
        assert mad(out, inp) > 3 * MATCH_MAD  # stylized, not the camera
        assert mad(out, ref) < MATCH_MAD, (mad(out, ref), mad(out, inp))
        assert mad(out, ref) < mad(out, references[1](inp)) / 2  # and in this style, not another


def test_a_style_switch_shows_before_the_recording_ends_and_stays(page, references):
    """Every output frame shown in the 2 s after the click is kept by the page: the new style shows up among
    them and stays (how soon is for `vidstyle bench`, not for a test on a shared machine)."""
    page.evaluate("() => { const t = vidstyle.record(2000); document.querySelector('[data-style=b1]').click();"
                       " return t; }")
    page.wait_for_timeout(2200)
    frames = page.evaluate("(r => (r.frames = r.frames.filter(f => f.input)).map(f => f.shown))(vidstyle.state.record)")
    assert len(frames) >= 2

    def in_new_style(i):  # frame i's output is nearer its input in the new style than in the old one
        out, inp = (png_rgb(p) for p in page.evaluate("(i) => (f => [f.png, vidstyle.pngOf(f.input)])"
                                                      "(vidstyle.state.record.frames[i])", i))
        new, old = mad(out, references[1](inp)), mad(out, references[0](inp))
        return new < old, (new, old)

    last = len(frames) - 1
    switched, (new, old) = in_new_style(last)
    assert switched and new < MATCH_MAD and new < old / 2, (new, old)  # switched before the recording ended
    lo, hi = 0, last  # binary search for the first frame in the new style
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if in_new_style(mid)[0] else (mid + 1, hi)
    assert all(in_new_style(i)[0] for i in {lo, (lo + last) // 2, last}), lo  # and it stays


def test_a_bad_upload_is_a_message_on_the_page(page):
    page.set_input_files("#upload", files=[{"name": "bad.jpg", "mimeType": "image/jpeg", "buffer": b"no image" * 50}])
    page.wait_for_selector("#message:not([hidden])", timeout=10_000)
    text = page.inner_text("#message")
    assert text.startswith("upload refused:") and "not an image" in text and "Error" not in text, text
    assert page.evaluate("vidstyle.state.status") == "playing"


def test_by_default_the_frames_carry_no_stamp(served):
    """Without --stamp (the latency stamp is a measurement mode) the page sends clean camera frames, so the
    output has no black-and-white block in its corner; every request of the page succeeds."""
    browser, _ = served
    proc, url = start_server(["--model", "fast", "--precision", "fp32", "--style", STYLES[0]])
    try:
        failures = []
        p = open_page(browser, url, failures=failures)
        p.wait_for_timeout(500)
        grabs = [p.evaluate("vidstyle.grab()") for _ in range(5)]
        stats = p.evaluate("vidstyle.stats()")
        assert [g["stamp"] for g in grabs] == [None] * 5 and p.evaluate("vidstyle.state.sent.size") == 0
        assert stats["fps"] > 2 and stats["stamped"] == 0 and "latency" not in p.inner_text("#readout"), stats
        assert not p.is_visible("#stamp-control") and not p.is_checked("#stamp")
        assert not failures, failures
        p.context.close()
    finally:
        proc.terminate()
        proc.wait(30)
