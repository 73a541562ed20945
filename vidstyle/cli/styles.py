"""``vidstyle styles``: the models (and whether trained weights ship) and the bundled styles."""
from __future__ import annotations

import argparse
import os

from . import args


def register(sub) -> None:
    p = sub.add_parser("styles", help="list models and bundled styles", formatter_class=args.Formatter)
    p.set_defaults(func=run)


def run(a: argparse.Namespace) -> int:
    from ..models import registry
    from ..styles import DEFAULT_STYLE, bundled_styles

    print("models:")
    for name, spec in registry.MODELS.items():
        state = "trained" if os.path.exists(spec.weights_path) else "untrained (no weights shipped)"
        state += " (draft)" if spec.draft else ""
        own = sorted(os.path.splitext(os.path.basename(p))[0] for p in registry.style_networks(name).values())
        print(f"  {name:12s} {state}" + (f"; per-style networks: {', '.join(own)}" if own else ""))
    print("bundled styles (use --style PATH):")
    for path in bundled_styles():
        mark = " (default)" if os.path.basename(path) == DEFAULT_STYLE else ""
        print(f"  {path}{mark}")
    return 0
