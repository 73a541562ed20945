"""Access token, Host header and uploaded style images: the checks ``vidstyle serve`` makes before anything else
runs.

A token is required whenever the server listens on anything but the loopback interface (one is generated
when none is given). Uploads are size-limited before they are read whole and decoded by Pillow with a pixel
limit set before decoding, so a bad or hostile file is a one-line ``VidstyleError``, never a server error.
"""
from __future__ import annotations

import hmac
import io
import ipaddress
import secrets
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import VidstyleError

MAX_UPLOAD_BYTES = 8 * 2**20
MAX_PIXELS = 40_000_000  # a 8000x5000 painting is fine; a decompression bomb is not
MIN_SIDE = 16
FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF")
LOOPBACK_NAMES = ("localhost", "localhost.", "ip6-localhost")


def is_loopback(host: str) -> bool:
    """True when ``host`` (a name or address, optionally with :port or [v6]) only reaches this machine."""
    name = host.strip()
    if name.startswith("["):
        name = name[1:].split("]")[0]
    elif name.count(":") == 1:
        name = name.split(":")[0]
    if name.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def resolve_token(host: str, token: str | None) -> str | None:
    """The token the server will require: ``token`` when given, a new random one when ``host`` is not loopback,
    else None (no token). A given token must be 8 to 200 URL-safe characters."""
    if token is not None:
        if not 8 <= len(token) <= 200 or not all(c.isalnum() or c in "-_.~" for c in token):
            raise VidstyleError("--token must be 8 to 200 characters of A-Z, a-z, 0-9, '-', '_', '.', '~'")
        return token
    return None if is_loopback(host) else secrets.token_urlsafe(18)


def token_ok(expected: str | None, given: str | None) -> bool:
    """Whether ``given`` matches ``expected`` (constant-time); anything goes when no token is required."""
    if expected is None:
        return True
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def refusal(token: str | None, given: str | None, host: str) -> str | None:
    """Why a request is refused, as one line for the 403 answer, or None when it may go on. With a ``token``,
    ``given`` must match it; without one (loopback only), the Host header must name this machine, so that a web
    page elsewhere cannot reach the server through a DNS name that points at 127.0.0.1 (DNS rebinding)."""
    if token is not None:
        if token_ok(token, given):
            return None
        return "wrong or missing token: open the address that `vidstyle serve` printed (it ends in ?token=...)"
    if is_loopback(host):
        return None
    return (f"Host header not allowed ({host[:80]!r}): without --token this server answers only requests addressed "
            "to 127.0.0.1, [::1] or localhost (a guard against DNS rebinding)")


def decode_style_image(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Uploaded bytes -> RGB uint8 (H, W, 3). Raises a one-line VidstyleError for an empty, oversized,
    undecodable, truncated, too small or too large (in pixels, checked before decoding) image."""
    if not data:
        raise VidstyleError("the upload is empty")
    if len(data) > max_bytes:
        raise VidstyleError(f"the upload is {len(data) / 2**20:.1f} MiB; the limit is {max_bytes / 2**20:.0f} MiB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as im:
                w, h = im.size
                if w * h > max_pixels:
                    raise VidstyleError(f"the image is {w}x{h} pixels; the limit is {max_pixels / 1e6:.0f} megapixels")
                if min(w, h) < MIN_SIDE:
                    raise VidstyleError(f"the image is {w}x{h} pixels; a style needs at least {MIN_SIDE} on each side")
                rgb = np.asarray(im.convert("RGB"))
    except VidstyleError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # far beyond MAX_PIXELS: said on opening
        raise VidstyleError(f"the image has too many pixels; the limit is {max_pixels / 1e6:.0f} megapixels") from None
    except UnidentifiedImageError:
        raise VidstyleError(f"not an image this server reads ({', '.join(FORMATS)})") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise VidstyleError("the image is damaged or truncated") from None
    return rgb
