"""``vidstyle styles``: the models (and whether trained weights ship), the bundled styles and the user's style
library; ``styles add|rm|show`` manage the library."""
from __future__ import annotations

import argparse
import os
import sys

from . import args

EXAMPLES = """examples:
  vidstyle styles                                   # models, bundled styles and your library (= styles list)
  vidstyle styles add ~/art/monet.jpg --name monet  # then: vidstyle image in.jpg out.jpg --style monet
  vidstyle styles add ~/art/*.jpg                   # several at once, named after their files
  vidstyle styles list --groups 3                   # the library in 3 groups of similar styles
  vidstyle styles show library.jpg                  # a contact sheet of the library, by group
  vidstyle styles rm monet

--style takes an image file, a library name, a bundled painting (starry, wave, kandinsky), `random` (a
library style at random; a bundled painting when the library is empty), `group:K` (a style of group K at
random; webcam: every style of group K), or a mix with weights, e.g. --style monet:0.7,starry:0.3. A library
name hides a bundled painting of the same name. The library lives in $XDG_DATA_HOME/vidstyle/library
(default ~/.local/share/vidstyle/library).
"""


def register(sub) -> None:
    p = sub.add_parser("styles", help="list models, bundled styles and your style library; add, rm, show",
                       description="Without a subcommand: the same as `styles list`.", epilog=EXAMPLES,
                       formatter_class=args.Formatter)
    p.set_defaults(func=run_list, groups=None)
    cmds = p.add_subparsers(dest="styles_command", metavar="SUBCOMMAND")
    ls = cmds.add_parser("list", help="models, bundled styles and the library (default)", epilog=EXAMPLES,
                         formatter_class=args.Formatter)
    _groups_option(ls)
    ls.set_defaults(func=run_list)
    add = cmds.add_parser("add", help="add style images to the library", epilog=EXAMPLES,
                          formatter_class=args.Formatter)
    add.add_argument("images", nargs="+", metavar="IMG", help="style image(s) to add (or bundled paintings: starry, "
                     "wave, kandinsky)")
    add.add_argument("--name", help="library name (one IMG only; default: the file's name without extension), "
                     "e.g. --name monet")
    add.add_argument("--overwrite", action="store_true", help="replace a library style of the same name")
    args.add_device_options(add)
    add.set_defaults(func=run_add)
    rm = cmds.add_parser("rm", help="remove styles from the library", epilog=EXAMPLES, formatter_class=args.Formatter)
    rm.add_argument("names", nargs="+", metavar="NAME", help="library name(s)")
    rm.set_defaults(func=run_rm)
    show = cmds.add_parser("show", help="write a contact sheet of the library", epilog=EXAMPLES,
                           formatter_class=args.Formatter)
    show.add_argument("output", metavar="OUT", help="sheet image (.jpg, .png, .webp)")
    _groups_option(show)
    show.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    show.set_defaults(func=run_show)


def _groups_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--groups", nargs="?", const=0, type=args.int_in(1, 1000), metavar="K",
                   help="group the library by style features (k-means); K groups (remembered for group:K; default: "
                   "the last K asked for, else about sqrt(n/2)), e.g. --groups 3")


def run_list(a: argparse.Namespace) -> int:
    from ..models import registry
    from ..styles import BUNDLED, DEFAULT_STYLE, bundled_style

    print("models:")
    for name, spec in registry.MODELS.items():
        state = "trained" if os.path.exists(spec.weights_path) else "untrained (no weights shipped)"
        state += " (draft)" if spec.draft else ""
        own = sorted(os.path.splitext(os.path.basename(p))[0] for p in registry.style_networks(name).values())
        print(f"  {name:12s} {state}" + (f"; per-style networks: {', '.join(own)}" if own else ""))
    print("bundled styles (use --style NAME):")
    for name, path in ((n, bundled_style(n)) for n in BUNDLED):
        if path:
            mark = " (default)" if os.path.basename(path) == DEFAULT_STYLE else ""
            print(f"  {name:9s}  {os.path.basename(path)}{mark}")
    _print_library(a.groups)
    return 0


def _print_library(k: int | None) -> None:
    """The library's styles, one a line (with their group when ``k`` is given: 0 = the default number)."""
    from ..styles import library_dir, library_index

    entries = library_index()["styles"]
    if not entries:
        print(f"style library: empty (add styles with `vidstyle styles add IMG`; {library_dir()})")
        return
    groups = _groups(k) if k is not None else {}
    print(f"style library ({library_dir()}; use --style NAME)" + (f", {max(groups.values())} groups:" if groups
                                                                     else ":"))
    width = max(map(len, entries))
    for name in sorted(entries, key=lambda n: (groups.get(n, 0), n)):
        e = entries[name]
        group = f"group {groups[name]}  " if groups else ""
        print(f"  {name:{width}s}  {group}{e['size'][0]}x{e['size'][1]}  from {e['source']}")


def _groups(k: int | None) -> dict[str, int]:
    """{name: group} in k groups (0: the default number); a K given is remembered for --style group:K."""
    from ..library.groups import group_styles
    from ..library.store import write_index
    from ..styles import library_index

    groups, used = group_styles(k or None)
    if k:
        index = library_index()
        index["groups"] = used
        write_index(index)
    return groups


def run_add(a: argparse.Namespace) -> int:
    from ..errors import VidstyleError
    from ..library.store import add_styles, default_name

    if a.name and len(a.images) > 1:
        raise VidstyleError("--name names one style: add the images one at a time, or without --name")
    names = [a.name] if a.name else [default_name(p) for p in a.images]
    add_styles([_image_file(p) for p in a.images], names, a.overwrite, a.device, a.precision)
    for name, path in zip(names, a.images):
        print(f"added {name} ({path})", file=sys.stderr)
    return 0


def _image_file(ref: str) -> str:
    """An image to add: a file, or a bundled painting's short name (added as it is, e.g. to be grouped)."""
    from ..styles import bundled_style

    return ref if os.path.exists(ref) else bundled_style(ref) or ref


def run_rm(a: argparse.Namespace) -> int:
    from ..library.store import remove_styles

    remove_styles(a.names)
    print(f"removed {', '.join(a.names)}", file=sys.stderr)
    return 0


def run_show(a: argparse.Namespace) -> int:
    from ..library.sheet import library_sheet
    from ..media.files import check_output_path
    from ..media.images import image_format, load_image
    from ..styles import library_styles

    check_output_path(a.output, a.overwrite, ())
    image_format(a.output)
    groups = _groups(a.groups or 0)
    styles = [(name, load_image(path), groups[name]) for name, path in library_styles()]
    w, h = library_sheet(a.output, styles)
    print(f"{a.output}: {len(styles)} styles in {max(groups.values())} group(s), {w}x{h}", file=sys.stderr)
    return 0
