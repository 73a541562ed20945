"""Image folders for training and evaluation, and the two hold-outs that training never sees: a fixed 1-in-20
subset of file names, and whole source collections named in a folder's MANIFEST.tsv.

May import: the standard library only.
"""
from __future__ import annotations

import csv
import hashlib
import os

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
HOLDOUT_EVERY = 20
MANIFEST = "MANIFEST.tsv"
# Whole collections held out of training: COCO photos (everyday scenes with people, unlike the object-centred
# ImageNet samples and the benchmark photos) and the famous-paintings collection (the only style-only collection
# of more than 13 files). A collection is a manifest's `source` without its version.
HOLDOUT_SOURCES = ("github lightly-ai/coco128_yolo", "github irinainina/image-data")
SPLITS = (None, False, "files", "sources")


def is_holdout(path: str, every: int = HOLDOUT_EVERY) -> bool:
    """A fixed 1-in-``every`` subset of file names, kept out of training and used by ``eval --holdout files``."""
    return int(hashlib.sha1(os.path.basename(path).encode()).hexdigest(), 16) % every == 0


def collection(source: str) -> str:
    """A manifest ``source`` without its version: "github O/R@C" -> "github O/R", "debian P V" -> "debian P"."""
    kind, _, rest = source.strip().partition(" ")
    return f"{kind} {rest.split()[0].split('@')[0]}" if rest.strip() else kind


def held_out_files(folder: str) -> set[str]:
    """Names of the files in ``folder``'s MANIFEST.tsv (tab-separated, with `file` and `source` columns) whose
    collection is in HOLDOUT_SOURCES; empty when the folder has no manifest."""
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        return set()
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.DictReader(f, delimiter="\t")
        return {r["file"] for r in rows if r.get("file") and collection(r.get("source") or "") in HOLDOUT_SOURCES}


def list_images(folder: str, holdout: bool | str | None = None) -> list[str]:
    """Sorted image paths in ``folder`` (or the one image file it names, whatever ``holdout`` says).

    holdout: None = every image; False = the training images (neither hold-out); "files" = only the 1-in-20
    file names; "sources" = only the files of the held-out collections (by the folder's MANIFEST.tsv)."""
    if holdout not in SPLITS:
        raise ValueError(f"holdout must be one of {SPLITS}, got {holdout!r}")
    if os.path.isfile(folder):
        return [folder]
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"image folder not found: {folder}")
    paths = sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTS))
    if holdout is None:
        return paths
    if holdout == "files":
        return [p for p in paths if is_holdout(p)]
    by_source = held_out_files(folder)
    if holdout == "sources":
        return [p for p in paths if os.path.basename(p) in by_source]
    return [p for p in paths if not is_holdout(p) and os.path.basename(p) not in by_source]
