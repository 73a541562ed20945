"""The keyframe carrier (vidstyle.temporal.keyframes) on synthetic clips with known motion (tests/clips.py):
paintings land where the flow says, cuts, black frames and the interval rules call for keyframes."""
from __future__ import annotations

import numpy as np
from clips import cut_clip, panning_clip, static_clip

from vidstyle.temporal.keyframes import AUTO_MAX, Carrier

H, W, DX = 96, 128, 1.5  # a pan of 1.5 px a frame: half of the carried frames sit between pixels
MARGIN = 24  # pixels left out at the border, where the pan brings in content no keyframe shows


def brush(t: int, offset: float = 0.0, seed: int = 5) -> np.ndarray:
    """A 'painting' of frame t of the pan: fine strokes of its own (periods of 2.5 to 5 px, not the frame's
    texture) stuck to the panned surface, so a painting carried from another keyframe must move with the
    content to match, and blurs visibly if it is resampled softly; ``offset`` is added to every channel."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
    u, img = xs - t * DX, np.zeros((H, W, 3))
    for _ in range(12):
        period, angle, phase = rng.uniform(2.5, 5.0), rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
        img += np.sin(2 * np.pi * (u * np.cos(angle) + ys * np.sin(angle)) / period + phase)[..., None] * \
            rng.uniform(-1, 1, 3)
    return np.clip(np.rint(127.5 + offset + img * 80 / np.abs(img).max()), 0, 255).astype(np.uint8)


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
    for t in (2, 3, 6):
        for right in (keys[8], None):  # both keyframes, and the left one alone (as before a cut)
            out = carrier.carry(seen[t], keys[0], right)
            err = np.abs(interior(out) - interior(brush(t))).mean()
            still = np.abs(interior(brush(0)) - interior(brush(t))).mean()
            assert err < 8.0 and err < still / 4, (t, right is not None, err, still)
            # one bicubic resampling keeps the fine strokes (bilinear keeps about 0.78 of their contrast here)
            assert interior(out).std() > 0.93 * interior(brush(t)).std(), (t, right is not None)


def test_each_keyframe_weighs_by_its_distance_in_time():
    clip = panning_clip(9, H, W, dx=DX, obj=False)
    carrier = Carrier(8)
    keys, seen = views(carrier, clip.frames, {0: brush(0), 8: brush(8, offset=40.0)})
    for t in (2, 4, 6):
        shift = float((interior(carrier.carry(seen[t], keys[0], keys[8])) - interior(brush(t))).mean())
        assert abs(shift - 40.0 * t / 8) < 5.0, (t, shift)


def test_two_paintings_that_do_not_line_up_keep_their_stroke_contrast():
    clip = panning_clip(9, H, W, dx=DX, obj=False)
    carrier = Carrier(8)
    keys, seen = views(carrier, clip.frames, {0: brush(0), 8: brush(8, seed=6)})  # other strokes at 8
    out = carrier.carry(seen[4], keys[0], keys[8])
    assert interior(out).std() > 0.85 * interior(brush(4)).std()  # a plain average keeps about 0.7


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


def test_a_frame_the_keyframe_does_not_cover_is_a_keyframe():
    frames = panning_clip(8, H, W, dx=1.0, obj=False).frames
    other = panning_clip(8, H, W, dx=1.0, obj=False, seed=9).frames
    for t in range(5, 8):  # new content over the right 60 %: not a scene cut, but not carried well either
        frames[t][:, W * 2 // 5:] = other[t][:, W * 2 // 5:]
    carrier, key, wanted = Carrier(100), None, []
    for i, f in enumerate(frames):
        v = carrier.view(f, key)
        if carrier.wants_key(v, key):
            wanted.append((i, v.left is None))
            key = carrier.key(v, f)
    assert wanted == [(0, True), (5, False)]


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
