"""Colour survives a round trip: decoding converts with the input's matrix and range, encoding converts back
with the same and tags the output with the input's description (BT.709 for untagged HD, BT.601 for SD)."""
import av
import numpy as np
import pytest
from conftest import run_cli

from vidstyle.media.colour import BT709, SMPTE170M
from vidstyle.media.decode import FileSource
from vidstyle.media.writer import VideoFileSink

PATCHES = [(30, 199, 40), (220, 30, 40), (40, 60, 210), (240, 240, 240), (16, 16, 16), (128, 100, 60)]


def patches(h: int, w: int) -> np.ndarray:
    """Flat colour columns, RGB uint8 (h, w, 3)."""
    img = np.zeros((h, w, 3), np.uint8)
    for i, c in enumerate(PATCHES):
        img[:, i * w // len(PATCHES):(i + 1) * w // len(PATCHES)] = c
    return img


def make_tagged(path: str, size: tuple[int, int], matrix: int | None, full: bool, n: int = 3) -> str:
    """A clip of flat colour patches in YUV made with ``matrix`` (AVColorSpace; None: untagged, converted
    with the default for the size) and range, tagged accordingly."""
    from av.video.reformatter import ColorRange, Colorspace

    w, h = size
    sws = Colorspace.ITU709 if (matrix or (BT709 if h >= 720 else SMPTE170M)) == BT709 else Colorspace.ITU601
    with av.open(path, "w") as out:
        s = out.add_stream("libx264", rate=10, options={"preset": "ultrafast", "crf": "0"})
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        if matrix:
            cc = s.codec_context
            cc.colorspace, cc.color_primaries, cc.color_trc = matrix, matrix, matrix
        s.codec_context.color_range = 2 if full else (1 if matrix else 0)
        for i in range(n):
            vf = av.VideoFrame.from_ndarray(patches(h, w), format="rgb24").reformat(
                format="yuv420p", dst_colorspace=sws, dst_color_range=ColorRange.JPEG if full else ColorRange.MPEG)
            vf.pts = i
            out.mux(s.encode(vf))
        out.mux(s.encode(None))
    return path


def yuv_and_tags(path: str) -> tuple[np.ndarray, tuple]:
    with av.open(path) as c:
        cc = c.streams.video[0].codec_context
        f = next(c.decode(video=0))
        full = cc.color_range == 2 or cc.pix_fmt.startswith("yuvj")
        return f.to_ndarray(format="yuv444p", channel_last=True), (cc.colorspace, cc.color_primaries, full)


def patch_centres(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return np.array([img[h // 2, (2 * i + 1) * w // (2 * len(PATCHES))] for i in range(len(PATCHES))], float)


@pytest.mark.parametrize("matrix, full, size", [
    (SMPTE170M, False, (320, 240)), (BT709, False, (1280, 720)), (SMPTE170M, True, (320, 240)),
    (BT709, True, (1280, 720)), (None, False, (1280, 720)), (None, False, (320, 240))])
def test_decode_encode_round_trip_keeps_colours_and_tags(tmp_path, matrix, full, size):
    src = make_tagged(str(tmp_path / "in.mp4"), size, matrix, full)
    source = FileSource(src)
    sink = VideoFileSink(str(tmp_path / "out.mp4"), source.info, crf=0, preset="ultrafast")
    for _kind, frame in source.items(audio=None):
        sink.write(frame)
    sink.close()
    source.close()
    yuv_in, _ = yuv_and_tags(src)
    yuv_out, tags = yuv_and_tags(str(tmp_path / "out.mp4"))
    expected = matrix or (BT709 if size[1] >= 720 else SMPTE170M)
    assert tags == (expected, expected, full)
    assert np.abs(patch_centres(yuv_out) - patch_centres(yuv_in)).max() <= 2


def test_strength_zero_reproduces_an_hd_bt709_green(tmp_path):
    src = make_tagged(str(tmp_path / "in.mp4"), (1280, 720), BT709, False, n=2)
    out = tmp_path / "out.mp4"
    r = run_cli("file", src, str(out), "--strength", "0", "--temporal", "off", "--crf", "0", "-q")
    assert r.returncode == 0, r.stderr
    with av.open(str(out)) as c:  # decoded as a player does: with the output's own tags
        cc = c.streams.video[0].codec_context
        assert (cc.colorspace, cc.color_primaries, cc.color_trc) == (BT709, BT709, BT709)
        rgb = next(c.decode(video=0)).to_ndarray(format="rgb24")
    assert np.abs(patch_centres(rgb)[0] - PATCHES[0]).max() <= 2
