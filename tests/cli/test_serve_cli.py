"""`vidstyle serve` as a user runs it: a generated token off loopback, refused without it, a clean stop on a signal
(exit 128 + its number, as every command)."""
import importlib.util
import os
import signal
import urllib.error
import urllib.request

import pytest
from conftest import run_cli

pytest.importorskip("aiortc", reason="needs the serve extra: pip install -e '.[serve]'")

from browser_harness import start_server  # noqa: E402

from vidstyle.cli.serve import _check_extra  # noqa: E402
from vidstyle.errors import VidstyleError  # noqa: E402
from vidstyle.styles import SAMPLES_DIR  # noqa: E402

STYLE = os.path.join(SAMPLES_DIR, "painting_hokusai_great_wave_off_kanagawa.jpg")


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_off_loopback_a_token_is_generated_printed_and_required():
    proc, url = start_server(["--host", "0.0.0.0", "--model", "fast", "--precision", "fp32", "--style", STYLE])
    try:
        token = url.split("?token=")[1]
        assert len(token) >= 20
        local = "http://127.0.0.1:" + url.split(":")[2].split("/")[0] + "/"
        assert status(local) == 403 and status(f"{local}?token=not-{token}") == 403
        assert status(f"{local}?token={token}") == 200
        assert status(f"{local}api/config?token={token}") == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        proc.drain.join(10)
    err = "".join(proc.lines)
    assert proc.returncode == 128 + signal.SIGTERM and "stopped (SIGTERM)" in err and "Traceback" not in err, err


def test_ctrl_c_stops_it_cleanly_with_128_plus_the_signal_number():
    proc, url = start_server(["--model", "fast", "--precision", "fp32", "--style", STYLE])
    try:
        assert status(url) == 200  # serving: start_server waited for the address line
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
        proc.drain.join(10)
    err = "".join(proc.lines)
    assert proc.returncode == 128 + signal.SIGINT and "stopped (SIGINT)" in err and "Traceback" not in err, err


def test_bad_options_are_one_line_errors():
    for argv, words in ((["--token", "short"], "--token must be 8 to 200"),
                        (["--certfile", "cert.pem"], "--certfile and --keyfile go together"),
                        (["--port", "70000"], "--port")):
        r = run_cli("serve", *argv, timeout=60)
        assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_without_the_serve_extra_the_error_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "aiortc" else real(name, *a))
    with pytest.raises(VidstyleError, match=r"needs aiortc: pip install 'vidstyle\[serve\]'"):
        _check_extra()
