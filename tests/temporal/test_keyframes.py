"""The keyframe carrier (vidstyle.temporal.keyframes) on synthetic clips with known motion (tests/clips.py):
paintings land where the flow says, cuts, black frames and the interval rules call for keyframes."""
from __future__ import annotations

import numpy as np
from clips import cut_clip, panning_clip, static_clip, texture

from vidstyle.temporal.keyframes import AUTO_MAX, Carrier

H, W, DX = 96, 128, 2.0
MARGIN = 24  # pixels left out at the border, where the pan brings in content no keyframe shows


def brush(t: int) -> np.ndarray:
    """A 'painting' of frame t of the pan: a texture of its own (not the frame's) stuck to the panned surface,
    so a painting carried from another keyframe must be moved with the content to match."""
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
    return np.clip(np.rint(texture(xs - t * DX, ys, seed=3)), 0, 255).astype(np.uint8)


def views(carrier: Carrier, frames: list[np.ndarray], paint: dict[int, np.ndarray]):
    """Feed ``frames`` through ``carrier``; frames in ``paint`` become keyframes with that painting.
    Returns (keys by index, views by index)."""
    keys, seen, key = {}, {}, None
    for i, f in enumerate(frames):
        v = carrier.view(f, key)
        seen[i] = v
        if i in paint:
            key = keys[i] = carrier.key(v, paint[i])
    return keys, seen


def interior(a: np.ndarray) -> np.ndarray:
    return a[MARGIN:-MARGIN, MARGIN:-MARGIN].astype(np.float32)


def test_a_pan_carries_the_keyframe_paintings_with_the_content():
    clip = panning_clip(9, H, W, dx=DX, obj=False)
    carrier = Carrier(8)
    keys, seen = views(carrier, clip.frames, {0: brush(0), 8: brush(8)})
    for t in (2, 4, 6):
        for right in (keys[8], None):  # both keyframes, and the left one alone (as before a cut)
            out = carrier.carry(seen[t], keys[0], right)
            err = np.abs(interior(out) - interior(brush(t))).mean()
            still = np.abs(interior(brush(0)) - interior(brush(t))).mean()
            assert err < 6.0 and err < still / 4, (t, right is not None, err, still)
            # one bicubic resampling keeps the painting's fine detail (no blur from a chain of warps)
            assert interior(out).std() > 0.9 * interior(brush(t)).std()


def test_a_scene_cut_is_a_keyframe_and_has_no_side_against_the_old_shot():
    clip = cut_clip(12, cut=6, h=H, w=W)
    carrier, key = Carrier(100), None
    for i, f in enumerate(clip.frames):
        v = carrier.view(f, key)
        wanted = carrier.wants_key(v, key)
        assert wanted == (i in (0, 6)), i
        assert (v.left is None) == (i in (0, 6))
        if wanted:
            key = carrier.key(v, f)


def test_a_black_frame_is_a_keyframe():
    frames = panning_clip(8, H, W, dx=1.0, obj=False).frames
    frames[5] = np.zeros_like(frames[5])
    carrier, key = Carrier(100), None
    wanted = []
    for i, f in enumerate(frames):
        v = carrier.view(f, key)
        if carrier.wants_key(v, key):
            wanted.append(i)
            key = carrier.key(v, f)
    assert wanted[:2] == [0, 5]


def test_fixed_interval_and_auto_limits():
    frames = static_clip(30, H, W, obj_v=(0.0, 0.0)).frames  # nothing moves: only the interval calls
    for every, expected in ((1, list(range(30))), (7, [0, 7, 14, 21, 28]), (None, list(range(0, 30, AUTO_MAX)))):
        carrier, key, wanted = Carrier(every), None, []
        for i, f in enumerate(frames):
            v = carrier.view(f, key)
            if carrier.wants_key(v, key):
                wanted.append(i)
                key = carrier.key(v, f)
        assert wanted == expected, every


def test_auto_paints_sooner_when_the_content_moves_faster():
    def gaps(dx: float) -> int:
        frames = panning_clip(AUTO_MAX + 1, H, W, dx=dx, obj=False).frames
        carrier, key = Carrier(None), None
        for i, f in enumerate(frames):
            v = carrier.view(f, key)
            if carrier.wants_key(v, key):
                if key is not None:
                    return i
                key = carrier.key(v, f)
        return AUTO_MAX + 1

    assert gaps(0.25) > gaps(3.0) > 1
