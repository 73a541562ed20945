import os
import signal
import subprocess
import sys
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader

import pytest

sys.path.insert(0, os.path.dirname(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Style codes are cached per test session, never in the user's cache; the user's data folder (style library,
    per-style weights) is an empty one per test session."""
    monkeypatch.setenv("VIDSTYLE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.getbasetemp() / "data"))


def run_cli(*args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m vidstyle ARGS`` as a user would (``env``: extra environment variables); returns the
    completed process (text output)."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env or {}))
    return subprocess.run([sys.executable, "-m", "vidstyle", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


def default_sigint() -> None:
    """``preexec_fn`` for a child that is sent SIGINT: the default disposition, as at a terminal. A test run started
    in the background (``cmd &`` in a script) ignores SIGINT, and a child would inherit that and never stop."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def load_script(name: str):
    """``scripts/NAME`` (a Python script without the .py) imported as a module, its ``main`` not run."""
    loader = SourceFileLoader(name.replace("-", "_"), os.path.join(ROOT, "scripts", name))
    module = module_from_spec(spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def needs_shared(*parts: str) -> str:
    path = os.path.join(SHARED, *parts)
    if not os.path.exists(path):
        pytest.skip(f"needs ../shared/data/{'/'.join(parts)}")
    return path
