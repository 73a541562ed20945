"""Adding styles to the library and removing them. An added style is a copy of the image (bytes as given, so
per-style networks keyed by its content still find it) plus its codes for each model ``--model auto`` can pick,
encoded as runs with the default device and precision use them, and its features for grouping."""
from __future__ import annotations

import datetime
import json
import os
import re
import shutil

from ..errors import VidstyleError
from ..styles import library_codes_dir, library_dir, library_index

CODE_MODELS = ("adain", "fast")  # the models whose codes are kept (those `--model auto` picks)
FEATURE_MODEL = "fast"  # whose style statistics (its style MLP's input: VGG19 relu1_1..relu4_1 mean/std) group styles
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}")
RESERVED = {"random", "group"}


def check_name(name: str) -> str:
    """A library name: letters, digits, '_', '.', '+', '-' (no ':' or ',', which --style mixes use), 1-64
    characters, not 'random' or 'group'."""
    if not NAME_RE.fullmatch(name) or name.lower() in RESERVED:
        raise VidstyleError(f"bad style name '{name}': use 1-64 letters, digits, '_', '.', '+' or '-' (starting with "
                            "a letter or digit), not 'random' or 'group'")
    return name


def default_name(path: str) -> str:
    """A library name from a file name: 'painting_van_gogh.jpg' -> 'painting_van_gogh'."""
    stem = re.sub(r"[^A-Za-z0-9_.+-]+", "_", os.path.splitext(os.path.basename(path))[0]).strip("_.+-")
    return stem[:64] or "style"


def write_index(index: dict) -> None:
    """Replace the library index atomically."""
    path = os.path.join(library_dir(), "library.json")
    os.makedirs(library_dir(), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def add_styles(paths: list[str], names: list[str], overwrite: bool = False, device: str = "auto",
               precision: str = "auto") -> list[str]:
    """Add images to the library under ``names`` (checked first, all or none); returns the names."""
    from ..media.images import load_image
    from ..styles import image_key

    index = library_index()
    if len(set(names)) < len(names):
        raise VidstyleError(f"the same style name twice: {', '.join(names)} (use --name)")
    for name in names:
        check_name(name)
        if name in index["styles"] and not overwrite:
            raise VidstyleError(f"the library already has a style '{name}' (--name NEW, --overwrite, or "
                                f"`vidstyle styles rm {name}`)")
    images = [load_image(p) for p in paths]
    codes = encode(images, device, precision)
    for path, name, rgb, (files, features) in zip(paths, names, images, codes):
        if name in index["styles"]:
            index = _removed(index, [name], keep={os.path.join("codes", c) for f, _ in codes for c in f})
        ext = os.path.splitext(path)[1].lower() or ".img"
        rel = os.path.join("images", name + ext)
        os.makedirs(os.path.join(library_dir(), "images"), exist_ok=True)
        shutil.copyfile(path, os.path.join(library_dir(), rel))
        index["styles"][name] = {"file": rel, "key": image_key(rgb), "size": [rgb.shape[1], rgb.shape[0]],
                                 "source": os.path.abspath(path), "codes": files, "features": features,
                                 "added": datetime.date.today().isoformat()}
    write_index(index)
    return names


def encode(images: list, device: str, precision: str) -> list[tuple[list[str], str]]:
    """For each RGB image: (the files written into library_codes_dir(): its code and statistics for each model
    of CODE_MODELS; its FEATURE_MODEL statistics file), as file names."""
    from ..api import Stylizer
    from ..styles import image_key

    files = [[] for _ in images]
    for model in CODE_MODELS:
        st = Stylizer(style=images[0], model=model, device=device, precision=precision, disk_cache=False)
        for own, rgb in zip(files, images):
            st.encode_style(rgb)
            if model == FEATURE_MODEL:
                st.style_stats(rgb)
            own += [st.cache.save(k, library_codes_dir()) for k in sorted(st.cache.memory)
                    if k.startswith(image_key(rgb))]
    return [(own, next(f for f in own if f.startswith(FEATURE_MODEL + "-") and f.endswith("-stats.pt")))
            for own in files]


def remove_styles(names: list[str]) -> None:
    """Remove styles from the library: index entries, images and the codes no other entry uses."""
    index = library_index()
    missing = [n for n in names if n not in index["styles"]]
    if missing:
        raise VidstyleError(f"no style named {', '.join(map(repr, missing))} in the library (see `vidstyle styles "
                            "list`)")
    write_index(_removed(index, names))


def _removed(index: dict, names: list[str], keep: set[str] = frozenset()) -> dict:
    """``index`` without ``names``; their image and code files deleted where no remaining entry uses them
    (nor ``keep``, paths relative to library_dir())."""
    gone = [index["styles"].pop(n) for n in names]
    used = {os.path.join("codes", c) for e in index["styles"].values() for c in e["codes"]}
    used |= {e["file"] for e in index["styles"].values()} | set(keep)
    for entry in gone:
        for rel in [entry["file"]] + [os.path.join("codes", c) for c in entry["codes"]]:
            if rel not in used and os.path.exists(os.path.join(library_dir(), rel)):
                os.remove(os.path.join(library_dir(), rel))
    return index
