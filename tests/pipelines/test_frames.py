"""Large frames run the temporal stage at a reduced size: the flicker it removes is removed alike, and the
stylized frame's fine detail is left as it was."""
import cv2
import numpy as np

from vidstyle.pipelines import frames
from vidstyle.temporal import make_temporal


def test_reduced_temporal_stage_steadies_and_keeps_detail(monkeypatch):
    monkeypatch.setattr(frames, "TEMPORAL_MAX_SHORT", 90)
    rng = np.random.default_rng(0)
    inp = cv2.GaussianBlur(rng.integers(0, 256, (180, 320, 3), dtype=np.uint8), (0, 0), 4)
    texture = rng.integers(-30, 30, inp.shape)  # the style's fine detail, the same in every frame
    stage, means, outs = make_temporal("ema", 0.8), [], []
    for t in range(8):
        y = np.clip(inp.astype(int) + texture + (20 if t % 2 else -20), 0, 255).astype(np.uint8)  # flicker
        out = frames.finish_frame(stage, inp, y, (180, 320), (180, 320))
        means.append(out.mean())
        outs.append((out, y))
    assert np.ptp(means[4:]) < 0.4 * 40  # the +-20 flicker is mostly gone
    out, y = outs[-1]
    change = out.astype(float) - y
    fine = change - cv2.GaussianBlur(change, (0, 0), 3)
    assert np.abs(fine).mean() < 2.0  # what was added is smooth: y's own detail is intact
