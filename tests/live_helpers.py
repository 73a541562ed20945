"""Stand-ins for live tests: stylizers with a fixed delay, cameras (lost, panning, dark, stalled) and an output
that keeps what it is sent."""
from __future__ import annotations

import time

import numpy as np
import torch

from vidstyle.live.outputs import Output
from vidstyle.stylizer.state import StreamState


class SlowStylizer:
    """Quacks like Stylizer for the live loop (its own model runner, with a real stream state): inverts the
    frame after sleeping ``delay`` seconds per call; ``seconds``: how long each call took (a loaded machine
    oversleeps)."""

    device = torch.device("cpu")

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


class StyleStandIn(SlowStylizer):
    """A stand-in whose picture depends on the stream state: style code 'a' inverts the frame, any other code
    halves it; the result is mixed with the frame by the state's strength. ``seen``: (code, strength) of each
    call; ``sizes``: the state's processing size at each call."""

    model_name = "stand-in"

    def __init__(self, delay: float = 0.0, size: int | None = None):
        super().__init__(delay, size)
        self.state = StreamState("a", "a", size=size)
        self.seen, self.sizes = [], []

    def stylize(self, state, frames: np.ndarray, out_hw=None, code=None) -> np.ndarray:
        self.seen.append((state.style_code, state.strength))
        self.sizes.append(state.size)
        t0 = time.monotonic()
        time.sleep(self.delay)
        self.calls += 1
        styl = 255 - frames if state.style_code == "a" else frames // 2
        self.seconds.append(time.monotonic() - t0)
        s = state.strength
        return (s * styl.astype(np.float32) + (1 - s) * frames).astype(np.uint8)


class PanCamera:
    """A textured scene panned ``step`` px a frame, (W, H) = ``size``, at ``fps``, for ``frames`` frames; frames
    listed in ``dark`` are black, and reading frame ``stall_at`` first waits ``stall_s`` seconds (a camera
    that stops sending for a while)."""

    live = False
    name = "pan camera"

    def __init__(self, size=(160, 120), fps: float = 30.0, frames: int = 60, step: int = 2, dark=(),
                 stall_at: int | None = None, stall_s: float = 0.0):
        import cv2

        w, h = size
        rng = np.random.default_rng(0)
        noise = rng.integers(0, 256, (h, w + step * frames + 1, 3), dtype=np.uint8)
        smooth = cv2.GaussianBlur(noise, (0, 0), 2.0).astype(np.float32)
        self.canvas = np.clip((smooth - 128) * 4 + 128, 0, 255).astype(np.uint8)
        self.size, self.period, self.frames, self.step = size, 1.0 / fps, frames, step
        self.dark, self.stall_at, self.stall_s = set(dark), stall_at, stall_s
        self.count, self.due = 0, None

    def open(self) -> bool:
        return True

    def read(self):
        if self.count >= self.frames:
            return None
        if self.count == self.stall_at:
            time.sleep(self.stall_s)
        now = time.monotonic()
        self.due = now if self.due is None else max(self.due + self.period, now - self.period)
        time.sleep(max(0.0, self.due - now))
        k, w = self.count * self.step, self.size[0]
        rgb = np.zeros_like(self.canvas[:, :w]) if self.count in self.dark else self.canvas[:, k: k + w].copy()
        self.count += 1
        return rgb

    def release(self) -> None:
        pass


class ListOutput(Output):
    """An output that keeps every frame it sends (RGB arrays in ``frames``)."""

    name = "list"

    def __init__(self):
        super().__init__()
        self.frames = []

    def send(self, frame):
        self.frames.append(frame.rgb)
