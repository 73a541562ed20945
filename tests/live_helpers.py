"""Stand-ins for live tests: a stylizer with a fixed delay and camera readers that get lost."""
from __future__ import annotations

import time

import numpy as np

from vidstyle.stylizer.state import StreamState


class SlowStylizer:
    """Quacks like Stylizer for the live loop (its own model runner, with a real stream state): inverts the
    frame after sleeping ``delay`` seconds per call; ``seconds``: how long each call took (a loaded machine
    oversleeps)."""

    def __init__(self, delay: float = 0.0, size: int | None = None):
        self.delay, self.runner = delay, self
        self.state = StreamState("stand-in", None, size=size)
        self.calls, self.seconds = 0, []

    def stylize(self, state, frames: np.ndarray, out_hw=None, code=None) -> np.ndarray:
        t0 = time.monotonic()
        time.sleep(self.delay)
        self.calls += 1
        out = 255 - frames
        self.seconds.append(time.monotonic() - t0)
        return out


class FlakyCamera:
    """A live camera giving ``plan[0]`` frames, then lost; each reopen succeeds when the matching entry of
    ``reopens`` is True and then gives ``plan[k]`` more frames. Frames are (24, 32, 3) grey levels 0, 1, ..."""

    live = True
    name = "camera flaky"

    def __init__(self, plan: list[int], reopens: list[bool], fps: float = 50.0):
        self.plan, self.reopens, self.period = list(plan), list(reopens), 1.0 / fps
        self.left, self.count, self.opens = self.plan.pop(0), 0, 0

    def open(self) -> bool:
        self.opens += 1
        if not self.reopens or not self.reopens.pop(0):
            return False
        self.left = self.plan.pop(0) if self.plan else 0
        return True

    def read(self):
        if self.left <= 0:
            return None
        time.sleep(self.period)
        self.left -= 1
        self.count += 1
        return np.full((24, 32, 3), self.count % 256, np.uint8)

    def release(self) -> None:
        pass
