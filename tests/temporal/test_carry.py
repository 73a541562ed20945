"""The live keyframe carrier: a painting follows the surfaces it was painted on (pan, shake), a scene cut drops
it at once, a new painting fades in instead of popping, and dark frames and lost paintings do no harm."""
import cv2
import numpy as np
import pytest

from vidstyle.temporal.carry import FADE, LiveCarrier, colour_map

H, W, PAD = 180, 320, 60


def scene(seed: int) -> np.ndarray:
    """A textured canvas larger than a frame (RGB uint8), smooth enough for optical flow."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (H + 2 * PAD, W + 2 * PAD, 3), dtype=np.uint8)
    smooth = cv2.GaussianBlur(noise, (0, 0), 3.0).astype(np.float32)
    return np.clip((smooth - 128) * 4 + 128, 0, 255).astype(np.uint8)


def view(canvas: np.ndarray, dx: int, dy: int = 0) -> np.ndarray:
    """The frame of a camera moved by (dx, dy) px from the canvas's centre (content moves the other way)."""
    return np.ascontiguousarray(canvas[PAD + dy: PAD + dy + H, PAD + dx: PAD + dx + W])


def strokes(canvas: np.ndarray, phase: int = 0) -> np.ndarray:
    """A 'painting' of the whole canvas: its colours plus stripes fixed to the canvas (brush strokes on the
    surface), which no colour map of a frame can produce."""
    x = np.arange(canvas.shape[1])[None, :, None]
    stripes = np.where(((x + phase) // 4) % 2 == 0, 60, -60)
    return np.clip(canvas.astype(np.int16) + stripes, 0, 255).astype(np.uint8)


def error(a: np.ndarray, b: np.ndarray, margin: int = 24) -> float:
    """Mean absolute difference away from the frame's edges (where content enters)."""
    d = cv2.absdiff(a, b)[margin:-margin, margin:-margin]
    return float(d.mean())


def paint_first(c: LiveCarrier, canvas, painted, dx0=0, dy0=0):
    """Show the carrier the frame at (dx0, dy0), mark it, and give it its painting (cut from ``painted``)."""
    c.next(view(canvas, dx0, dy0))
    assert c.painted(c.mark(), view(painted, dx0, dy0))


def test_the_painting_moves_with_the_surface_on_a_pan():
    canvas = scene(1)
    painted = strokes(canvas)
    c = LiveCarrier(fade=1)
    paint_first(c, canvas, painted)
    for dx in range(3, 46, 3):  # a pan of 3 px a frame
        c.next(view(canvas, dx))
    carried, static = c.render(), view(painted, 0)
    expected = view(painted, 45)
    assert error(carried, expected) < 12  # the strokes are where the surface went
    assert error(static, expected) > 40  # (left where they were painted they would be 60 off)
    assert c.cover > 0.7


def test_shaking_back_and_forth_keeps_the_strokes_in_place():
    canvas = scene(2)
    painted = strokes(canvas, phase=1)
    c = LiveCarrier(fade=1)
    paint_first(c, canvas, painted)
    rng = np.random.default_rng(0)
    for _ in range(20):  # camera shake: jumps of up to 12 px each way, every frame
        c.next(view(canvas, *rng.integers(-12, 13, 2)))
    c.next(view(canvas, 5, -4))
    assert error(c.render(), view(painted, 5, -4)) < 12


@pytest.mark.parametrize("fill", ["colour", "previous"])
def test_a_scene_cut_drops_the_painting_at_once(fill):
    a, b = scene(3), scene(4) // 3  # another shot: another texture, much darker
    c = LiveCarrier(fade=1, fill=fill)
    paint_first(c, a, strokes(a))
    c.render()
    mark = c.mark()  # a painting under way when the cut comes
    c.next(view(b, 0))
    out = c.render()
    fill = cv2.transform(view(b, 0), c.colour)
    assert np.array_equal(out, fill)  # nothing of the old shot's painting: only the colour-mapped new frame
    assert c.key is None and not c.painted(mark, view(strokes(a), 0))  # the late painting is not used
    c.next(view(b, 2))
    assert c.painted(c.mark(), view(strokes(b), 2))  # the new shot's own painting is
    assert error(c.render(), view(strokes(b), 2)) < 3


def test_a_new_painting_fades_in_over_a_few_frames():
    canvas = scene(5)
    old, new = strokes(canvas, 0), strokes(canvas, 4)  # the same surface painted twice, stripes swapped
    jumps = {}
    for fade in (FADE, 1):
        c = LiveCarrier(fade=fade)
        paint_first(c, canvas, old)
        mark = c.mark()
        c.next(view(canvas, 0))
        before = c.render()
        assert c.painted(mark, view(new, 0))
        outs = [before]
        for _ in range(FADE + 2):
            outs.append(c.render())
            c.next(view(canvas, 0))
        steps = [error(x, y) for x, y in zip(outs, outs[1:])]
        jumps[fade] = max(steps)
        assert error(outs[-1], view(new, 0)) < 2  # it gets there
    total = error(view(old, 0), view(new, 0))
    assert jumps[FADE] < total / FADE * 1.6  # a few small steps ...
    assert jumps[1] > total * 0.9  # ... where replacing at once is one jump


def test_dark_frames_and_paintings_of_another_size_do_no_harm():
    canvas = scene(6)
    c = LiveCarrier()
    paint_first(c, canvas, strokes(canvas))
    black = np.zeros((H, W, 3), np.uint8)
    for _ in range(3):
        c.next(black)
        out = c.render()
        assert out.dtype == np.uint8 and out.shape == (H, W, 3)
        assert np.array_equal(out, cv2.transform(black, c.colour))  # a cut: the colour-mapped dark frame
    mark = c.mark()
    assert c.painted(mark, np.zeros((H, W, 3), np.uint8))  # a black painting of a black frame is a painting
    assert not c.painted(c.mark(), np.zeros((H // 2, W // 2, 3), np.uint8))
    assert np.isfinite(c.colour).all()


def test_nothing_before_the_first_frame():
    c = LiveCarrier()
    with pytest.raises(RuntimeError):
        c.mark()
    with pytest.raises(RuntimeError):
        c.render()
    with pytest.raises(ValueError):
        LiveCarrier(fade=0)
    with pytest.raises(ValueError):
        LiveCarrier(fill="fast")


def test_the_previous_output_fills_where_the_painting_does_not_reach():
    canvas = scene(8)
    painted = strokes(canvas, 2)
    outs = {}
    for fill in ("colour", "previous"):
        c = LiveCarrier(fade=1, fill=fill)
        paint_first(c, canvas, painted)
        c.render()
        c.key.conf[:] = 0.0  # as if the painting no longer matched anywhere (its strokes are in the output)
        c.next(view(canvas, 0))
        c.key.conf[:] = 0.0
        outs[fill] = c.render()
    expected = view(painted, 0)
    assert error(outs["previous"], expected) < 3  # the strokes of the last output, carried on
    assert error(outs["colour"], expected) > 30  # the colour map alone has no strokes


def test_the_colour_map_keeps_the_paintings_contrast():
    rng = np.random.default_rng(7)
    src = rng.integers(30, 200, (40, 60, 3), dtype=np.uint8)
    m = np.array([[0.5, 0.2, 0.0, 10.0], [0.0, 0.8, 0.1, 5.0], [0.1, 0.0, 0.6, 20.0]])
    strokes = rng.normal(0.0, 25.0, src.shape)  # what no map of the colour alone explains
    dst = np.clip(cv2.transform(src, m) + strokes, 0, 255).astype(np.uint8)
    mapped = cv2.transform(src, colour_map(src, dst)).reshape(-1, 3).astype(np.float64)
    want = dst.reshape(-1, 3).astype(np.float64)
    assert np.abs(mapped.mean(0) - want.mean(0)).max() < 1.0
    assert np.abs(mapped.std(0) / want.std(0) - 1.0).max() < 0.03  # least squares gave 0.73-0.85 of it
    flat = colour_map(np.full((4, 4, 3), 9, np.uint8), np.full((4, 4, 3), 200, np.uint8))
    assert np.allclose(cv2.transform(np.full((1, 1, 3), 9, np.uint8), flat), 200, atol=1)
