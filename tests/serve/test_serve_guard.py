"""The access token and the checks on uploaded style images (vidstyle/serve/guard.py)."""
import io
import re

import numpy as np
import pytest
from PIL import Image

from vidstyle.errors import VidstyleError
from vidstyle.serve.guard import decode_style_image, is_loopback, refusal, resolve_token, token_ok


def encoded(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("127.0.0.1:8000", True), ("localhost", True),
                                            ("[::1]:8000", True), ("::1", True), ("0.0.0.0", False),
                                            ("192.168.1.20", False), ("evil.example:8000", False), ("", False)])
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


def test_a_token_is_required_off_loopback_and_generated_when_missing():
    assert resolve_token("127.0.0.1", None) is None
    t1, t2 = resolve_token("0.0.0.0", None), resolve_token("0.0.0.0", None)
    assert t1 and t2 and t1 != t2 and len(t1) >= 20
    assert resolve_token("127.0.0.1", "my-secret-1") == "my-secret-1"
    for bad in ("short", "has space in it", "x" * 201, "semi;colon-token"):
        with pytest.raises(VidstyleError, match="--token"):
            resolve_token("0.0.0.0", bad)


def test_token_check():
    assert token_ok(None, None) and token_ok(None, "anything")
    assert token_ok("right-token", "right-token")
    assert not token_ok("right-token", None) and not token_ok("right-token", "wrong-token")
    assert not token_ok("right-token", "right-token-and-more") and not token_ok("right-token", "")


def test_a_refusal_names_its_reason():
    assert refusal(None, None, "127.0.0.1:8000") is None and refusal(None, None, "localhost") is None
    host = refusal(None, None, "attacker.example:8000")
    assert host.startswith("Host header not allowed ('attacker.example:8000')")
    assert "wrong or missing token" not in host
    assert refusal("right-token", "right-token", "gpu-box.lan:8000") is None  # with a token, any name reaches it
    for given in (None, "wrong-token"):
        assert refusal("right-token", given, "127.0.0.1:8000").startswith("wrong or missing token")


def test_a_good_upload_decodes_to_rgb():
    rgb = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    out = decode_style_image(encoded(Image.fromarray(rgb)))
    assert out.dtype == np.uint8 and out.shape == (40, 60, 3) and np.array_equal(out, rgb)
    grey = decode_style_image(encoded(Image.new("L", (32, 32), 200), "JPEG"))
    assert grey.shape == (32, 32, 3)


def test_bad_uploads_are_one_line_errors():
    jpeg = encoded(Image.new("RGB", (64, 64), (10, 200, 30)), "JPEG")
    cases = {b"": "empty", b"not an image at all" * 10: "not an image", jpeg[: len(jpeg) // 3]: "damaged or truncated",
             encoded(Image.new("RGB", (8, 8))): "at least 16"}
    for data, words in cases.items():
        with pytest.raises(VidstyleError, match=words) as e:
            decode_style_image(data)
        assert "\n" not in str(e.value) and not re.search(r"[A-Z]\w*Error", str(e.value)), str(e.value)
    with pytest.raises(VidstyleError, match="limit is 1 MiB"):
        decode_style_image(b"\0" * (2**20 + 1), max_bytes=2**20)


def test_a_decompression_bomb_is_refused_before_decoding():
    bomb = encoded(Image.new("1", (9000, 6000)))  # 54 megapixels in a few kB
    assert len(bomb) < 100_000
    with pytest.raises(VidstyleError, match="9000x6000 pixels; the limit is 40 megapixels"):
        decode_style_image(bomb)
    huge = encoded(Image.new("1", (20000, 10000)))  # so many pixels that Pillow refuses it on opening
    with pytest.raises(VidstyleError) as e:
        decode_style_image(huge)
    assert str(e.value) == "the image has too many pixels; the limit is 40 megapixels"
