"""Still images load in every mode Pillow reads as upright RGB uint8: 16-bit grey scaled (not clipped to white),
palette and transparency on white, CMYK, 1-bit, EXIF orientation applied, first frame of animations said."""
import logging

import numpy as np
import pytest
from media_files import png_claiming
from PIL import Image

from vidstyle.errors import VidstyleError
from vidstyle.media.images import load_image

RAMP = np.linspace(0, 1, 64 * 48, dtype=np.float64).reshape(48, 64)  # 0 at the top left, 1 at the bottom right


def grey_of(rgb: np.ndarray) -> np.ndarray:
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    return rgb.astype(np.float64).mean(axis=2)


@pytest.mark.parametrize("mode, ext", [("I;16", "png"), ("I;16", "tif"), ("I", "tif")])
def test_16_bit_grey_is_scaled_not_white(tmp_path, mode, ext):
    wide = (RAMP * 65535).round()
    path = tmp_path / f"grey.{ext}"
    Image.fromarray(wide.astype(np.uint16 if mode == "I;16" else np.int32)).save(path)
    assert Image.open(path).mode == mode
    grey = grey_of(load_image(str(path), "input"))
    assert np.abs(grey - RAMP * 255).max() <= 1.0  # a ramp from black to white, mid-grey in the middle


def test_8_bit_grey_and_one_bit(tmp_path):
    Image.fromarray((RAMP * 255).round().astype(np.uint8)).save(tmp_path / "l.png")
    assert np.abs(grey_of(load_image(str(tmp_path / "l.png"))) - RAMP * 255).max() <= 1.0
    Image.fromarray(RAMP > 0.5).save(tmp_path / "bw.png")
    assert Image.open(tmp_path / "bw.png").mode == "1"
    rgb = load_image(str(tmp_path / "bw.png"))
    assert set(np.unique(rgb)) == {0, 255} and (rgb[..., 0] == 255).sum() == (RAMP > 0.5).sum()


def test_palette_with_and_without_transparency(tmp_path):
    colours = np.array([[200, 30, 30], [30, 200, 30], [30, 30, 200]], np.uint8)
    index = (RAMP * 2.999).astype(np.uint8)
    im = Image.fromarray(index, "P")
    im.putpalette(colours.ravel().tolist())
    im.save(tmp_path / "p.png")
    assert Image.open(tmp_path / "p.png").mode == "P"
    assert (load_image(str(tmp_path / "p.png")) == colours[index]).all()
    im.save(tmp_path / "pt.gif", transparency=0)  # index 0 (red) transparent: white
    got = load_image(str(tmp_path / "pt.gif"))
    want = np.where((index == 0)[..., None], 255, colours[index])
    assert (got == want).all()


@pytest.mark.parametrize("mode", ["LA", "RGBA"])
def test_transparent_pixels_are_painted_on_white(tmp_path, mode):
    rgba = np.zeros((48, 64, 4), np.uint8)  # black; the left half transparent, the right half opaque
    rgba[:, 32:, 3] = 255
    im = Image.fromarray(rgba, "RGBA")
    (im if mode == "RGBA" else im.convert("LA")).save(tmp_path / "a.png")
    assert Image.open(tmp_path / "a.png").mode == mode
    rgb = load_image(str(tmp_path / "a.png"))
    assert (rgb[:, :32] == 255).all() and (rgb[:, 32:] == 0).all()


def test_cmyk(tmp_path):
    cmyk = np.zeros((48, 64, 4), np.uint8)
    cmyk[:, :32, 0] = 255  # full cyan on the left, white (no ink) on the right
    Image.fromarray(cmyk, "CMYK").save(tmp_path / "c.tif")
    rgb = load_image(str(tmp_path / "c.tif"))
    assert (rgb[:, :32] == (0, 255, 255)).all() and (rgb[:, 32:] == 255).all()


@pytest.mark.parametrize("orientation, corner", [(1, (0, 0)), (3, (-1, -1)), (6, (0, -1)), (8, (-1, 0))])
def test_exif_orientation_is_applied(tmp_path, orientation, corner):
    rgb = np.full((48, 64, 3), 128, np.uint8)
    rgb[:8, :8] = (255, 0, 0)  # a red mark at the stored image's top left
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(rgb).save(tmp_path / "o.jpg", exif=exif, quality=95)
    got = load_image(str(tmp_path / "o.jpg"), "input")
    assert got.shape[:2] == ((64, 48) if orientation in (6, 8) else (48, 64))  # 6, 8: a portrait stored sideways
    y, x = corner
    assert got[y, x, 0] > 200 and got[y, x, 1] < 60  # the mark moved to where the orientation puts it


@pytest.mark.parametrize("ext", ["gif", "tif"])
def test_animations_and_multi_page_files_give_their_first_frame_and_say_so(tmp_path, caplog, ext):
    pages = [Image.fromarray(np.full((48, 64, 3), v, np.uint8)) for v in (40, 120, 200)]
    pages[0].save(tmp_path / f"many.{ext}", save_all=True, append_images=pages[1:])
    with caplog.at_level(logging.WARNING, logger="vidstyle"):
        rgb = load_image(str(tmp_path / f"many.{ext}"), "input")
    assert abs(float(rgb.mean()) - 40) <= 2
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "3 frames" in lines[0] and "the first" in lines[0]


def test_a_single_frame_says_nothing(tmp_path, caplog):
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(tmp_path / "one.gif")
    with caplog.at_level(logging.WARNING, logger="vidstyle"):
        load_image(str(tmp_path / "one.gif"))
    assert not caplog.records


def test_a_decompression_bomb_is_a_one_line_error(tmp_path):
    (tmp_path / "huge.png").write_bytes(png_claiming(20000, 20000))
    with pytest.raises(VidstyleError, match="input image is too large: .*huge.png .*megapixels"):
        load_image(str(tmp_path / "huge.png"), "input")
