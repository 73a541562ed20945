"""A small progress reporter for long work: count, rate, ETA; a live line on a terminal, periodic lines otherwise."""
from __future__ import annotations

import sys
import time

TERMINAL_EVERY_S = 0.25  # refresh of the live line on a terminal
LOG_EVERY_S = 10.0  # one line this often when the output is a file or pipe


def fmt_seconds(s: float) -> str:
    s = max(0, int(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class Progress:
    """``update(n, **extra)`` after each unit of work; ``close()`` ends the line. Quiet if ``quiet``.
    ``done``: units already done before this run (a resumed job); they count in the total, not in the rate."""

    def __init__(self, total: int | None, unit: str = "frames", quiet: bool = False, every: float | None = None,
                 stream=None, done: int = 0):
        self.total, self.unit, self.quiet = total, unit, quiet
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.every = every if every is not None else (TERMINAL_EVERY_S if self.live else LOG_EVERY_S)
        self.count = self.done = done
        self.start = self.last = time.monotonic()
        self.extra: dict = {}

    @property
    def rate(self) -> float:
        return (self.count - self.done) / max(time.monotonic() - self.start, 1e-9)

    def update(self, n: int = 1, **extra) -> None:
        self.count += n
        self.extra.update(extra)
        now = time.monotonic()
        if not self.quiet and now - self.last >= self.every:
            self.last = now
            self._print(end="\r" if self.live else "\n")

    def line(self) -> str:
        done = f"{self.count}/{self.total}" if self.total else f"{self.count}"
        parts = [f"{done} {self.unit}", f"{self.rate:.2f} {self.unit}/s"]
        if self.total and self.rate > 0:
            parts.append(f"ETA {fmt_seconds((self.total - self.count) / self.rate)}")
        parts += [f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in self.extra.items()]
        return "  ".join(parts)

    def _print(self, end: str) -> None:
        pct = f"{100 * self.count / self.total:5.1f}% " if self.total else ""
        self.stream.write(f"\x1b[2K{pct}{self.line()}{end}" if self.live else f"{pct}{self.line()}{end}")
        self.stream.flush()

    def close(self) -> None:
        if not self.quiet and self.live:
            self._print(end="\n")
