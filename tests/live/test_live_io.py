"""Live hotkeys, preview, time stamp and virtual camera, all headless.

No display and no v4l2loopback device can exist on the test machines, so the preview runs with OpenCV's window
functions replaced by stand-ins, and the virtual camera is exercised through pyvirtualcam's own public backend
interface (``pyvirtualcam.register_backend``) with a backend that keeps the frames, plus the real "what to
install" error when no device is there. What a meeting app sees from a real v4l2loopback/OBS device can only
be checked by hand."""
import os
import platform
import sys

import cv2
import numpy as np
import pytest
from live_helpers import SlowStylizer

from vidstyle.errors import VidstyleError
from vidstyle.live.cameras import Capture, SyntheticCamera
from vidstyle.live.controls import Controls
from vidstyle.live.outputs import VirtualCamOutput, letterbox, rgb_to_i420
from vidstyle.live.preview import PreviewWindow
from vidstyle.live.stamp import read_stamp, stamp
from vidstyle.pipelines.live import LiveSession


def test_hotkeys_wrap_clamp_and_toggle():
    c = Controls(["a", "b", "c"], strength=0.95, temporal=True)
    assert [c.handle_key(k) for k in "nnn"] == ["next_style"] * 3 and c.style == "a"  # wraps forward
    assert c.handle_key(ord("p")) == "prev_style" and c.style == "c"  # and backward
    assert c.handle_key("+") == "stronger" and c.strength == 1.0  # clamped at 1
    for _ in range(12):
        c.handle_key("-")
    assert c.strength == 0.0  # clamped at 0
    c.handle_key("=")
    assert c.strength == pytest.approx(0.1)
    assert c.handle_key("t") == "temporal" and c.temporal is False
    assert c.handle_key("O") == "original" and c.original is True  # upper case works too
    assert c.handle_key("s") == "snapshot" and c.handle_key(27) == "quit" and c.handle_key("q") == "quit"
    assert c.handle_key(-1) is None and c.handle_key("x") is None and c.handle_key(None) is None


class FakeGui:
    """Stand-ins for cv2.imshow / waitKey / getWindowProperty / destroyAllWindows: keys are pressed one per
    shown frame after the first few frames."""

    def __init__(self, keys: str):
        self.keys, self.shown, self.pending = list(keys), [], None

    def imshow(self, name, bgr):
        self.shown.append(bgr.copy())
        if len(self.shown) > 3 and self.keys:
            self.pending = self.keys.pop(0)

    def wait_key(self, ms):
        key, self.pending = self.pending, None
        return -1 if key is None else ord(key)


def test_preview_hotkeys_switch_style_toggle_original_snapshot_and_quit(monkeypatch, tmp_path):
    gui = FakeGui("nos q")
    monkeypatch.setattr(cv2, "imshow", gui.imshow)
    monkeypatch.setattr(cv2, "waitKey", gui.wait_key)
    monkeypatch.setattr(cv2, "getWindowProperty", lambda *a: 1.0)
    monkeypatch.setattr(cv2, "destroyAllWindows", lambda: None)
    st = SlowStylizer()
    styles = [("first.jpg", 1), ("second.jpg", 2)]
    preview = PreviewWindow(str(tmp_path))
    session = LiveSession(Capture(SyntheticCamera((160, 120), fps=30)), st, styles, preview=preview)
    stats = session.run(duration=20)
    assert stats.reason == "quit"
    assert st.state.style_code == 2 and st.state.style_name == "second.jpg" and session.controls.original
    snaps = [f for f in os.listdir(tmp_path) if f.startswith("vidstyle-") and f.endswith(".png")]
    assert len(snaps) == 1
    assert stats.outputs["preview"]["sent"] == len(gui.shown) >= 6
    assert gui.shown[0].shape == (120, 160, 3)
    assert not np.array_equal(gui.shown[0][:20], gui.shown[0][:20, :, ::-1])  # the overlay text was drawn


def test_stamp_round_trip_and_absent_stamp():
    rgb = np.full((120, 160, 3), 90, np.uint8)
    assert read_stamp(rgb) is None
    ms = 1_790_000_123_456
    assert read_stamp(stamp(rgb, ms)) == ms
    assert read_stamp(stamp(np.zeros((20, 20, 3), np.uint8), ms)) is None  # too small to carry one


def test_letterbox_and_i420():
    wide = np.full((90, 160, 3), 200, np.uint8)
    box = letterbox(wide, 320, 240)
    assert box.shape == (240, 320, 3)
    assert box[:30].max() == 0 and box[-30:].max() == 0 and box[31:209].min() == 200  # bars top and bottom
    yuv = rgb_to_i420(box)
    assert yuv.shape == (360, 320) and yuv.dtype == np.uint8


class KeepFrames:
    """A pyvirtualcam backend (its documented Backend interface) that keeps what it is sent."""

    sent: list = []

    def __init__(self, *, width, height, fps, fourcc, device, **kw):
        self.args = (width, height, fps, fourcc)
        KeepFrames.sent = []

    def close(self):
        pass

    def send(self, frame):
        KeepFrames.sent.append(frame.copy())

    def device(self):
        return "keep-frames"

    def native_fourcc(self):
        return None


def test_virtual_camera_through_a_pyvirtualcam_backend(monkeypatch):
    pyvirtualcam = pytest.importorskip("pyvirtualcam")  # in the [test] extra; the backend needs no device
    monkeypatch.setattr(pyvirtualcam.camera, "BACKENDS", dict(pyvirtualcam.camera.BACKENDS))  # undone after
    pyvirtualcam.register_backend("vidstyle-test", KeepFrames)
    cam = VirtualCamOutput((320, 240), fps=30, backend="vidstyle-test")
    stats = LiveSession(Capture(SyntheticCamera((160, 90), fps=30, frames=15)), SlowStylizer(),
                        outputs=[cam]).run(10)
    assert stats.outputs["virtual-cam"]["sent"] == len(KeepFrames.sent) > 5
    expected = 320 * 240 * 3 // 2 if cam.i420 else 320 * 240 * 3
    assert {f.size for f in KeepFrames.sent} == {expected}
    if cam.i420:
        y = KeepFrames.sent[-1][: 320 * 240].reshape(240, 320)
        assert y[:25].max() <= 16 and y[60:180].mean() > 16  # black letterbox bars above the picture


def test_virtual_camera_device_missing_says_what_to_install():
    pytest.importorskip("pyvirtualcam")  # in the [test] extra
    if any(name.startswith("video") for name in os.listdir("/dev")):
        pytest.skip("a video device exists here; this test needs a machine without v4l2loopback")
    with pytest.raises(VidstyleError) as e:
        VirtualCamOutput()
    assert "no virtual camera device" in str(e.value) and "\n" not in str(e.value)
    assert ("modprobe v4l2loopback" if platform.system() == "Linux" else "OBS") in str(e.value)


def test_virtual_camera_package_missing_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyvirtualcam", None)  # as if it were not installed
    with pytest.raises(VidstyleError, match=r"pip install 'vidstyle\[virtualcam\]'"):
        VirtualCamOutput()
