"""Training images: folders of photos and artworks, decoded once into memory, sampled as random crops.

Sampling is a pure function of (seed, rank, step), so a resumed run draws exactly the same batches.
"""
from __future__ import annotations

import logging

import cv2
import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from ..data import list_images

log = logging.getLogger("vidstyle.train")


class ImagePool:
    """Images of one or more folders, decoded lazily and cached as RGB uint8 (H, W, 3) arrays.

    ``rate`` weights the folder when sampling; ``soft`` folders (upscaled thumbnails) are downscaled by
    ``soft_scale`` before cropping so that their blur shrinks below the crop's detail.
    """

    def __init__(self, folders: list[tuple[str, float, bool]], holdout: bool | None = False):
        self.groups = []
        for folder, rate, soft in folders:
            paths = list_images(folder, holdout)
            if paths:
                self.groups.append({"paths": paths, "rate": rate, "soft": soft})
        if not self.groups:
            raise FileNotFoundError(f"no images in {', '.join(f for f, _, _ in folders)}")
        self.cache: dict[str, np.ndarray | None] = {}

    def __len__(self) -> int:
        return sum(len(g["paths"]) for g in self.groups)

    def load(self, path: str) -> np.ndarray | None:
        if path not in self.cache:
            try:
                with Image.open(path) as im:
                    self.cache[path] = np.asarray(im.convert("RGB"))
            except (OSError, UnidentifiedImageError, ValueError) as e:
                log.warning("skipping unreadable image %s (%s)", path, e)
                self.cache[path] = None
        return self.cache[path]

    def pick(self, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
        rates = np.array([g["rate"] for g in self.groups], dtype=float)
        for _ in range(100):
            g = self.groups[rng.choice(len(self.groups), p=rates / rates.sum())]
            img = self.load(g["paths"][rng.integers(len(g["paths"]))])
            if img is not None:
                return img, g["soft"]
        raise RuntimeError("no readable images left")


def random_crop(img: np.ndarray, size: int, rng: np.random.Generator, min_scale: float, max_scale: float,
                hue: float = 0.0) -> np.ndarray:
    """Rescale so the short side is ``size`` x U(min_scale, max_scale) (never upscaled past the image), crop
    ``size`` x ``size``, flip half the time, rotate the hue by up to ``hue`` (fraction of the circle)."""
    h, w = img.shape[:2]
    short = min(h, w)
    target = size * rng.uniform(min_scale, max_scale)
    target = max(size, min(target, short)) if short >= size else size
    s = target / short
    nh, nw = max(size, round(h * s)), max(size, round(w * s))
    img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    y, x = rng.integers(nh - size + 1), rng.integers(nw - size + 1)
    crop = img[y:y + size, x:x + size]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    if hue > 0 and rng.random() < 0.5:
        hsv = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2HSV)
        hsv[..., 0] = (hsv[..., 0].astype(np.int16) + int(rng.uniform(-hue, hue) * 180)) % 180
        crop = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    return np.ascontiguousarray(crop)


def whole_image(img: np.ndarray, hw: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """The whole image scaled to cover ``hw`` = (H, W) and centre-cropped to it (so its own edges are the
    crop's edges), flipped half the time."""
    h, w = img.shape[:2]
    s = max(hw[0] / h, hw[1] / w)
    nh, nw = max(hw[0], round(h * s)), max(hw[1], round(w * s))
    img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    y, x = (nh - hw[0]) // 2, (nw - hw[1]) // 2
    crop = img[y:y + hw[0], x:x + hw[1]]
    return np.ascontiguousarray(crop[:, ::-1] if rng.random() < 0.5 else crop)


def batch_shape(size: int, aspect: float, multiple: int = 8) -> tuple[int, int]:
    """(H, W) of about ``size`` x ``size`` pixels with W / H ~ ``aspect``, both multiples of ``multiple``."""
    h = max(multiple, round(size / aspect ** 0.5 / multiple) * multiple)
    w = max(multiple, round(size * aspect ** 0.5 / multiple) * multiple)
    return h, w


def random_crop_hw(img: np.ndarray, hw: tuple[int, int], rng: np.random.Generator, min_scale: float,
                   max_scale: float) -> np.ndarray:
    """``random_crop`` for an (H, W) window: a square crop of the longer side, cut down to the window."""
    crop = random_crop(img, max(hw), rng, min_scale, max_scale)
    y, x = rng.integers(crop.shape[0] - hw[0] + 1), rng.integers(crop.shape[1] - hw[1] + 1)
    return np.ascontiguousarray(crop[y:y + hw[0], x:x + hw[1]])


class PairSampler:
    """Batches of (content, style) images: content (N, 3, H, W) and style (N, 3, size, size), float in [0, 1].

    Each step draws one content shape of about ``size``^2 pixels from ``aspects`` (W / H; portrait and
    landscape alike) and, per sample, a random crop or, with probability ``whole_rate``, the whole photo
    (its real edges included, so the network learns what image borders look like). Style crops get their hue
rotated by up to ``style_hue`` (0 for a single-style network)."""

    def __init__(self, content: ImagePool, style: ImagePool, size: int, seed: int = 0, rank: int = 0,
                 aspects: tuple[float, ...] = (1.0,), whole_rate: float = 0.0, style_hue: float = 0.08):
        self.content, self.style, self.size, self.seed, self.rank = content, style, size, seed, rank
        self.aspects, self.whole_rate, self.style_hue = aspects, whole_rate, style_hue

    def shape(self, rng: np.random.Generator) -> tuple[int, int]:
        aspect = self.aspects[rng.integers(len(self.aspects))]
        if rng.random() < 0.5:
            aspect = 1.0 / aspect
        return (self.size, self.size) if aspect == 1.0 else batch_shape(self.size, aspect)

    def batch(self, step: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng([self.seed, self.rank, step])
        hw = self.shape(rng)
        cs, ss = [], []
        for _ in range(n):
            img, _ = self.content.pick(rng)
            if rng.random() < self.whole_rate:
                cs.append(whole_image(img, hw, rng))
            else:
                cs.append(random_crop_hw(img, hw, rng, 1.1, 2.5))
            img, soft = self.style.pick(rng)
            if soft:
                img = cv2.resize(img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
            ss.append(random_crop(img, self.size, rng, 1.0, 3.0, hue=self.style_hue))
        to = lambda a: torch.from_numpy(np.stack(a)).permute(0, 3, 1, 2).float().div_(255)  # noqa: E731
        return to(cs), to(ss)
