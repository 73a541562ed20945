"""The `c` hotkey: colour preservation off -> luma -> match -> off, carried to the stylizer by the live loop."""
import numpy as np
import torch
from johnson_files import example_checkpoint

from vidstyle.api import Stylizer
from vidstyle.live.controls import HELP, Controls
from vidstyle.media.frame import Frame
from vidstyle.models.colour import rgb_to_ycbcr
from vidstyle.pipelines.live import LiveSession


def chroma_gap(a: np.ndarray, b: np.ndarray) -> float:
    """Largest Cb/Cr difference of two uint8 (H, W, 3) images, 0-255 units."""
    def cc(x):
        return rgb_to_ycbcr(torch.from_numpy(x.copy()).permute(2, 0, 1)[None].float() / 255)[0, 1:] * 255
    return float((cc(a) - cc(b)).abs().max())


def test_c_cycles_colour_preservation():
    c = Controls(["a"], preserve_color="luma")
    assert [(c.handle_key(k), c.preserve_color) for k in "ccC"] == [
        ("colour", "match"), ("colour", None), ("colour", "luma")]
    assert "c colour preservation" in HELP


def test_the_live_loop_applies_the_key_to_the_stylizer(tmp_path):
    path = str(tmp_path / "candy.pth")
    example_checkpoint(path)
    st = Stylizer(model=path, device="cpu", precision="fp32", disk_cache=False)
    session = LiveSession(None, st)
    frame = Frame(np.random.default_rng(0).integers(0, 256, (24, 32, 3), dtype=np.uint8))
    plain = session.process(frame)
    assert chroma_gap(plain, frame.rgb) > 20
    session.controls.handle_key("c")
    kept = session.process(frame)
    assert st.preserve_color == "luma" and chroma_gap(kept, frame.rgb) < 0.5
    assert "colour luma" in session.status()
    session.controls.handle_key("c")
    session.process(frame)
    assert st.preserve_color == "match"
    session.controls.handle_key("c")
    assert np.array_equal(session.process(frame), plain) and st.preserve_color is None
