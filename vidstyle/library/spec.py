"""What a ``--style`` value means. One term is an image file, a library name, the short name of a bundled painting
(``starry``, ``wave``, ``kandinsky``; ``starry.jpg`` too where no such file exists), ``random`` (a library style at
random; a bundled painting when the library is empty) or ``group:K`` (a style of library group K at random). A
mix is terms with weights, ``a.jpg:0.7,b.jpg:0.3``: a ``:suffix`` is a weight only when it is a number and what
precedes it is a style, so file names may hold ':' and ','; weights are >= 0, at least one > 0, normalised
(all or none given; none: equal)."""
from __future__ import annotations

import functools
import os
import random
import re

from ..errors import VidstyleError
from ..styles import BUNDLED, bundled_style, bundled_styles, library_styles, mix_weights

NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
GROUP = re.compile(r"group:(\d+)")


class Resolver:
    """Resolves terms against the files here, the user's library and its groups, then the bundled paintings'
    short names; ``rng`` draws the random picks, ``say(line)`` is told each one."""

    def __init__(self, rng: random.Random | None = None, say=None):
        self.rng, self.say = rng or random.Random(), say or (lambda line: None)
        self._groups = None

    @functools.cached_property
    def library(self) -> dict[str, str]:
        """{name: image path} of the library, read when first needed (a plain image file never needs it)."""
        return dict(library_styles())

    def known(self, ref: str) -> bool:
        return (os.path.isfile(ref) or ref == "random" or bool(GROUP.fullmatch(ref)) or ref in self.library
                or bundled_style(ref) is not None)

    def group(self, ref: str) -> list[str]:
        """Library paths of group ``group:K``, by name."""
        from .groups import group_styles

        if self._groups is None:
            self._groups = group_styles()
        groups, k = self._groups
        g = int(GROUP.fullmatch(ref).group(1))
        if not 1 <= g <= k:
            raise VidstyleError(f"'{ref}': the library has groups 1 to {k} (see `vidstyle styles list --groups`)")
        return [self.library[n] for n in sorted(groups) if groups[n] == g]

    def path(self, ref: str) -> str:
        """The image file of a known term (random picks drawn now)."""
        if os.path.isfile(ref):
            return ref
        if ref in self.library:
            return self.library[ref]
        if (bundled := bundled_style(ref)) is not None:
            return bundled
        pool = self.group(ref) if ref != "random" else list(self.library.values()) or bundled_styles()
        if not pool:
            raise VidstyleError("--style random: the style library is empty and no bundled paintings are installed")
        pick = self.rng.choice(pool)
        self.say(f"--style {ref}: {os.path.splitext(os.path.basename(pick))[0]}")
        return pick


def split_mix(text: str, known) -> list[tuple[str, float | None]] | None:
    """``text`` as [(term, weight or None)] such that ``known(term)`` holds for every term, the whole text as
    one term when it is known, else the longest terms first; None when no split works."""
    pieces = text.split(",")

    @functools.lru_cache(maxsize=None)
    def parse_from(i: int):
        if i == len(pieces):
            return ()
        for j in range(len(pieces), i, -1):
            term = ",".join(pieces[i:j])
            ref, _, suffix = term.rpartition(":")
            candidates = ([(ref, float(suffix))] if ref and NUMBER.fullmatch(suffix) else []) + [(term, None)]
            for ref, weight in candidates:
                rest = parse_from(j) if known(ref) else None
                if rest is not None:
                    return ((ref, weight),) + rest
        return None

    found = parse_from(0)
    return list(found) if found is not None else None


def _unknown(text: str, r: Resolver) -> VidstyleError:
    """The error for a value that does not split into known terms, naming the first unknown term."""
    for piece in text.split(","):
        ref, _, suffix = piece.rpartition(":")
        ref = ref if ref and NUMBER.fullmatch(suffix) else piece
        if not r.known(ref):
            text = ref
            break
    if os.path.isdir(text):
        return VidstyleError(f"style {text} is a folder: --style takes an image file or a library name")
    names = ", ".join(sorted(r.library)[:8]) + (", ..." if len(r.library) > 8 else "")
    lib = f"library styles: {names}" if names else "the style library is empty"
    return VidstyleError(f"style image not found: {text} (nor a library style or bundled painting of that name; "
                         f"bundled: {', '.join(BUNDLED)}; {lib})")


def parse_style(text: str, resolver: Resolver | None = None):
    """A ``--style`` value -> an image path, or a mix [(path, weight)] with weights summing to 1 (what
    ``Stylizer(style=...)`` takes)."""
    r = resolver or Resolver()
    terms = split_mix(text, r.known)
    if terms is None:
        raise _unknown(text, r)
    given = [w is not None for _, w in terms]
    if any(given) and not all(given):
        raise VidstyleError(f"'{text}': give every style of a mix a weight, or none (equal weights)")
    weights = mix_weights([1.0 if w is None else w for _, w in terms])
    if len(terms) == 1:
        return r.path(terms[0][0])
    return [(r.path(ref), w) for (ref, _), w in zip(terms, weights)]


def parse_styles(values: list[str], resolver: Resolver | None = None) -> list:
    """Several ``--style`` values (webcam): each as ``parse_style``, except that a whole value ``group:K`` gives
    every style of that group."""
    r = resolver or Resolver()
    out = []
    for text in values:
        out += r.group(text) if GROUP.fullmatch(text) and not os.path.isfile(text) else [parse_style(text, r)]
    return out
