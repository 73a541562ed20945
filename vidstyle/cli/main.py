"""The ``vidstyle`` entry point: the parser of every command, and errors as one line (``--debug``: traceback)."""
from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import sys

from .. import __version__
from ..errors import VidstyleError
from . import args, batch, bench, eval, export, file, image, serve, styles, train, webcam

COMMANDS = (file, batch, image, webcam, serve, styles, bench, eval, export, train)
EXAMPLES = """examples:
  vidstyle file in.mp4 out.mp4 --style starry
  vidstyle batch clips/ -o styled/ --style wave
  vidstyle image photo.jpg painted.png --style wave
  vidstyle webcam --style starry kandinsky --virtual-cam
  vidstyle serve --host 0.0.0.0
  vidstyle styles
  vidstyle bench --model fast --size 360 720 --temporal flow
  vidstyle eval --content photos/ --style paintings/ --holdout --pairs 60
  vidstyle train --model fast --content photos/ --style-image starry.jpg --init vidstyle/weights/fast.safetensors

Each command has --help with its own examples.
"""


def build_parser() -> argparse.ArgumentParser:
    ap = args.Parser(prog="vidstyle", description="Stylize videos, images and cameras with any painting.",
                                 epilog=EXAMPLES, formatter_class=args.Formatter)
    ap.add_argument("--debug", action="store_true", help="show tracebacks")
    ap.add_argument("--version", action="version", version=f"vidstyle {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.register(sub)
    return ap


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP (``kill``, ``timeout``, a closed terminal), handled exactly like Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _interrupt(signum, _frame) -> None:
    raise Interrupted(signum)


def handle_signals() -> None:
    """SIGTERM and SIGHUP raise ``Interrupted`` in the main thread, as SIGINT raises KeyboardInterrupt, so every
    command cleans up the same way (outputs removed or finalized; training ends with a whole checkpoint)."""
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _interrupt)


def os_error(e: OSError, output: str | None) -> str:
    """One line for a failed system call: a full disk names the output being written, others their file."""
    if e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        where = f" while writing {output}" if output else ""
        return f"the disk is full{where} ({e.strerror}): free some space or write elsewhere"
    what = e.strerror or os.strerror(e.errno)
    return f"{what}: {e.filename}" if e.filename else what


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if a.debug else logging.WARNING, format="vidstyle: %(message)s")
    handle_signals()
    try:
        return a.func(a)
    except VidstyleError as e:
        if a.debug:
            raise
        print(f"vidstyle: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        signum = getattr(e, "signum", signal.SIGINT)
        print(f"vidstyle: interrupted ({signal.Signals(signum).name})", file=sys.stderr)
        return 128 + signum
    except Exception as e:  # noqa: BLE001 - an unexpected failure still gets one line (--debug shows more)
        if a.debug:
            raise
        if isinstance(e, OSError) and e.errno:  # a full disk, an I/O error: what the system said
            print(f"vidstyle: error: {os_error(e, getattr(a, 'output', None))}", file=sys.stderr)
            return 1
        msg = str(e).splitlines()[0] if str(e) else ""
        print(f"vidstyle: error: {type(e).__name__}: {msg} (run with --debug for details)", file=sys.stderr)
        return 1
