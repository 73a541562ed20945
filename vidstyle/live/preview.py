"""The live preview window (cv2.imshow) with a one-line overlay and snapshots.

GUI toolkits want their windows on the main thread, so the preview is a receiver without a thread: the live
loop's main thread calls ``pump(status)`` in a loop, which shows the newest frame and returns the key pressed.
"""
from __future__ import annotations

import os
import sys
import time

import cv2
import numpy as np

from ..media.frame import Frame
from ..media.images import write_image
from .outputs import Receiver

WINDOW = "vidstyle"
FRAME_WAIT_S = 0.01  # how long a pump waits for a new frame
ESC = 27
GUI_HINT = "pip uninstall -y opencv-python-headless && pip install opencv-python"


def opencv_has_gui() -> bool:
    """False for the headless OpenCV builds (their build information says ``GUI: NONE``)."""
    line = next((ln for ln in cv2.getBuildInformation().splitlines() if ln.strip().startswith("GUI:")), "")
    return line.split(":", 1)[-1].strip().upper() not in ("", "NONE")


def preview_problem() -> str | None:
    """Why no preview window can open here (one sentence), or None when it can (the window is then created).
    The display is checked before any GUI call because some GUI backends abort the process without one."""
    if not opencv_has_gui():
        return f"no preview: this is the headless OpenCV (a window needs `{GUI_HINT}` and a display)"
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "no preview: there is no display (DISPLAY and WAYLAND_DISPLAY are not set)"
    try:
        cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE)
    except cv2.error as e:
        return f"no preview: OpenCV cannot open a window ({str(e).strip().splitlines()[-1][:100]})"
    return None


def draw_overlay(bgr: np.ndarray, text: str) -> np.ndarray:
    """Write ``text`` in the top-left corner of a BGR uint8 (H, W, 3) image in place, white on a dark outline."""
    scale = max(0.35, bgr.shape[1] / 1400)
    org = (6, 6 + round(22 * scale))
    cv2.putText(bgr, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(bgr, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return bgr


class PreviewWindow(Receiver):
    """A window showing the live output; frames come through the same latest-wins slot as the outputs'."""

    name = "preview"

    def __init__(self, snapshot_dir: str = "."):
        super().__init__()
        self.snapshot_dir = snapshot_dir
        self.last: np.ndarray | None = None
        self.status = ""

    def send(self, frame: Frame) -> None:
        self.last = frame.rgb
        cv2.imshow(WINDOW, draw_overlay(cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2BGR), self.status))

    def pump(self, status: str) -> int | None:
        """Show the newest frame (if a new one came within 10 ms) with ``status`` on it; returns the key code
        pressed (cv2.waitKey), 27 (Esc) once the user closed the window, or None."""
        self.status = status
        frame = self.slot.get(FRAME_WAIT_S)
        if frame is not None:
            self.deliver(frame)
        key = cv2.waitKey(1)
        if self.sent and cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
            return ESC
        return None if key < 0 else key

    def snapshot(self) -> str | None:
        """Save the last shown frame (without the overlay) as a PNG; returns its path (None before any frame)."""
        if self.last is None:
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{int(time.time() * 1000) % 1000:03d}"
        path = os.path.join(self.snapshot_dir, f"vidstyle-{stamp}.png")
        write_image(path, self.last)
        return path

    def close(self) -> None:
        cv2.destroyAllWindows()
