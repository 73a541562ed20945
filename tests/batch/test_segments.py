"""A clip cut into four segments at its keyframes, stylized apart and joined without re-encoding, is what
`vidstyle file` writes: same frames, timestamps, audio, rotation and colour tags; pixels equal after the warm-up
(compared losslessly, --crf 0, so that encoder noise does not hide a difference); no seam at the joins (warping
error there within 1.2x of the single-process output's)."""
import dataclasses
import json
import os

import av
import numpy as np
from clips import panning_clip
from media_files import make_video, probe

from vidstyle.batch.driver import run_batch
from vidstyle.batch.inputs import items
from vidstyle.batch.pools import LocalPool
from vidstyle.eval.metrics import warping_error
from vidstyle.jobs.options import VideoOptions
from vidstyle.jobs.video import stylize_video

OPTS = VideoOptions(model="fast", device="cpu", precision="fp32", size=32, temporal="flow", crf=0, quiet=True)


def frames(path: str) -> list[np.ndarray]:
    with av.open(path) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def tags(path: str) -> tuple:
    with av.open(path) as c:
        cc = c.streams.video[0].codec_context
        return cc.color_primaries, cc.color_trc, cc.colorspace, cc.color_range, c.streams.video[0].codec_context.name


def pan(path: str, n: int = 100) -> str:
    """A panning texture (real motion, so warping errors are even along the clip), 25 fps, a keyframe a second,
    rotation 90, with the audio of ``make_video``."""
    make_video(path + ".a.mp4", n=n, size=(64, 48), rate=25, audio="aac")
    with av.open(path + ".a.mp4") as a, av.open(path, "w") as out:
        vs = out.add_stream("libx264", rate=25, options={"preset": "ultrafast", "g": "25", "keyint_min": "25"})
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        vs.set_display_rotation(90)
        aud = out.add_stream_from_template(a.streams.audio[0])
        for rgb in panning_clip(n, 48, 64, dx=1.5, obj=False).frames:
            out.mux(vs.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(vs.encode(None))
        for packet in a.demux(a.streams.audio[0]):
            if packet.dts is not None:
                packet.stream = aud
                out.mux(packet)
    return path


def test_four_segments_join_into_the_single_process_output(tmp_path):
    src = pan(str(tmp_path / "film.mp4"))
    single = str(tmp_path / "single.mp4")
    stylize_video(src, single, OPTS)
    out = tmp_path / "out"
    pool = LocalPool(OPTS)
    summary = run_batch(items([src], str(out), "mp4"), OPTS, str(out), pool, quiet=True, segment_seconds=1.0,
                        warmup=25)
    assert summary.failed == [] and summary.done == [str(out / "film.mp4")]
    joined = str(out / "film.mp4")
    manifest = json.load(open(out / "vidstyle-batch.json"))["tasks"]
    assert manifest["film.mp4"]["segments"] == 4 and sorted(manifest) == ["film.mp4"] + [f"film.mp4#{i}"
                                                                                         for i in range(4)]
    assert sorted(os.listdir(out)) == ["film.mp4", "vidstyle-batch.json"]  # the segment files are gone once joined
    a, b = probe(single), probe(joined)
    for k in ("frames", "times", "rotation", "audio", "audio_duration", "size"):
        assert a[k] == b[k], k
    assert tags(joined) == tags(single)
    s, j, i = frames(single), frames(joined), frames(src)
    diff = [float(np.abs(x.astype(np.float32) - y).mean()) for x, y in zip(s, j)]
    assert max(diff) <= 2.0, diff  # after a 25-frame warm-up every frame is within 2 levels
    assert warping_error(j, i) <= 1.05 * warping_error(s, i)
    for k in (25, 50, 75):  # the joins: no more flicker than the single-process output has there
        pair = slice(k - 1, k + 1)
        assert warping_error(j[pair], i[pair]) <= 1.2 * warping_error(s[pair], i[pair])


def test_without_warm_up_the_segments_start_afresh(tmp_path):
    """The check above can fail: no warm-up leaves each segment's first frames off the single-process ones."""
    src = make_video(str(tmp_path / "film.mp4"), n=50, size=(64, 48), rate=25, audio=None, gop=25)
    single = str(tmp_path / "single.mp4")
    stylize_video(src, single, OPTS)
    out = tmp_path / "out"
    run_batch(items([src], str(out), "mp4"), OPTS, str(out), LocalPool(OPTS), quiet=True, segment_seconds=1.0,
              warmup=0)
    s, j = frames(single), frames(str(out / "film.mp4"))
    assert len(s) == len(j) == 50
    assert float(np.abs(s[25].astype(np.float32) - j[25]).mean()) > 2.0


def test_at_the_default_crf_the_joins_add_no_flicker(tmp_path):
    """Each segment starts with a keyframe, whose coding noise owes nothing to the frame before; encoded as they
    come, the pair across a join flickers about twice as much as inside one stream. The frames next to a join are
    encoded finer, and each segment runs into the encoder's look-ahead, so the joins stay within 1.2x."""
    opts = dataclasses.replace(OPTS, crf=18)
    src = pan(str(tmp_path / "film.mp4"))
    single = str(tmp_path / "single.mp4")
    stylize_video(src, single, opts)
    out = tmp_path / "out"
    run_batch(items([src], str(out), "mp4"), opts, str(out), LocalPool(opts), quiet=True, segment_seconds=1.0,
              warmup=25)
    s, j, i = frames(single), frames(str(out / "film.mp4")), frames(src)
    assert len(j) == len(s) == 100
    ratios = [warping_error(j[k - 1:k + 1], i[k - 1:k + 1]) / warping_error(s[k - 1:k + 1], i[k - 1:k + 1])
              for k in (25, 50, 75)]
    assert max(ratios) <= 1.2, ratios


def test_segments_start_at_the_keyframe_where_the_picture_changes_least():
    from fractions import Fraction

    from vidstyle.media.segments import VideoIndex, cuts

    n, loud = 400, {175, 200, 375}  # a keyframe every 25 frames (1 s at 25 fps); motion around three of them
    sizes = {i: 5000 if any(abs(i - k) <= 3 for k in loud) else 1000 for i in range(n)}
    ix = VideoIndex(Fraction(1, 25), list(range(n)), list(range(0, n, 25)), sizes)
    assert cuts(ix, 7) == [0, 225]  # 7 s: the quiet keyframe 225, not 175 (the first past 7 s) nor 200
    quiet_late = {i: 5000 if 170 <= i <= 265 else 1000 for i in range(n)}  # 275 is quiet but past 1.5 x 7 s
    assert cuts(dataclasses.replace(ix, sizes=quiet_late), 7)[1] == 175  # the earliest of equals in the window
    short = VideoIndex(Fraction(1, 25), list(range(300)), list(range(0, 300, 25)),
                       {i: 5000 if abs(i - 175) <= 3 or abs(i - 200) <= 3 else 1000 for i in range(300)})
    assert cuts(short, 7) == [0, 175]  # the quiet 225 would leave under 3.5 s after it
    assert cuts(dataclasses.replace(ix, sizes={}), 7) == [0, 175]  # sizes unknown: the first past 7 s, as before
