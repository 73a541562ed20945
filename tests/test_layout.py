"""The package's architecture holds: every room imports only what the table "Which room imports which" of
docs/architecture.md allows (vidstyle rooms and third-party packages, every import form), and nothing cycles."""
import argparse
import ast
import os
import re
import sys

from conftest import ROOT

PKG = os.path.join(ROOT, "vidstyle")
DOC = os.path.join(ROOT, "docs", "architecture.md")
ROOMS = {n.removesuffix(".py") for n in os.listdir(PKG)
         if n.endswith(".py") or os.path.exists(os.path.join(PKG, n, "__init__.py"))}


def table(title: str) -> list[list[str]]:
    """The rows (their cells' text) of the Markdown table under the heading ``title`` in DOC, header left out."""
    lines = open(DOC, encoding="utf-8").read().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.lstrip("#").strip() == title and ln.startswith("#"))
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("|") and not set(line) <= set("|-: "):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[1:]


def names(cell: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", cell))


def rules() -> dict[str, tuple]:
    """{room or 'room/module.py': (vidstyle targets it may import or None for any, third-party rule)}; the
    third-party rule is ('only', names), ('but', names) or None (any)."""
    out = {}
    for key, ours, theirs in table("Which room imports which"):
        (key,) = names(key)
        assert ours in ("anything", "as its room", "nothing") or names(ours), f"{key}: {ours!r}"
        assert theirs.startswith(("only", "any but")) or theirs == "any", f"{key}: {theirs!r}"
        mine = None if ours in ("anything", "as its room") else names(ours)
        third = ("only", names(theirs)) if theirs.startswith("only") else (
            ("but", names(theirs)) if theirs.startswith("any but") else None)
        out[key] = (mine, third)
    return out


def exceptions() -> dict[str, set[str]]:
    """{module path under vidstyle/: the imports it makes against its room's rules}."""
    out = {}
    for module, imports, why in table("Exceptions"):
        assert why, f"an exception needs its reason: {module}"
        (module,) = names(module)
        out.setdefault(module, set()).update(names(imports))
    return out


def imported(source: str, module: str) -> tuple[set[str], set[str]]:
    """(vidstyle targets, third-party packages) that the module at ``module`` (its path under the repository,
    e.g. vidstyle/serve/app.py) imports, at the top or inside functions. A target is the dotted path after
    ``vidstyle.`` ('media.images.load_image', 'api'; '__init__' for the package itself); relative imports are
    resolved from the module's package; standard-library imports are left out."""
    package = module.removesuffix(".py").split("/")[:-1]  # vidstyle/serve/__init__.py: vidstyle.serve too
    paths = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            paths += [a.name.split(".") for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level <= len(package), f"{module}: import beyond the package"
            base = package[:len(package) - node.level + 1] if node.level else []
            base = base + (node.module.split(".") if node.module else [])
            paths += [base + [a.name] for a in node.names]
    ours, theirs = set(), set()
    for p in paths:
        if p[0] == "vidstyle":
            ours.add(".".join(p[1:]) if len(p) > 1 and p[1] in ROOMS else "__init__")
        elif p[0] not in sys.stdlib_module_names:
            theirs.add(p[0])
    return ours, theirs


def modules():
    """(path under the repository, room) of every module of the package."""
    for folder, _, files in os.walk(PKG):
        for f in sorted(files):
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(folder, f), ROOT).replace(os.sep, "/")
                yield rel, rel.split("/")[1].removesuffix(".py")


def allowed(target: str, entries: set[str]) -> bool:
    return any(target == e or target.startswith(e + ".") for e in entries)


def violations(module: str, room: str, ours: set[str], theirs: set[str], table_rules: dict) -> set[str]:
    """The imports of ``module`` (in ``room``) that its room's row, and its own row if it has one, do not allow."""
    bad = set()
    for key in (room, module.removeprefix("vidstyle/")):
        if key not in table_rules:
            continue
        mine, third = table_rules[key]
        if mine is not None:
            bad |= {t for t in ours if t.split(".")[0] != room and not allowed(t, mine)}
        if third is not None:
            kind, listed = third
            bad |= {t for t in theirs if (t not in listed) == (kind == "only")}
    return bad


def test_the_import_parser_reads_every_form():
    source = """
import os, json.decoder
import torch.nn as nn
import vidstyle
import vidstyle.media.images
import vidstyle.models as m
from vidstyle import api, styles, __version__
from .. import data, library
from . import engine
from .guard import check
from ..runtime.stages import Latest
from cv2 import resize
from PIL import Image

def later():
    import av
"""
    ours, theirs = imported(source, "vidstyle/serve/app.py")
    assert ours == {"__init__", "media.images", "models", "api", "styles", "data", "library", "serve.engine",
                    "serve.guard.check", "runtime.stages.Latest"}
    assert theirs == {"torch", "cv2", "PIL", "av"}
    assert imported("from . import fast\nfrom .. import errors\n", "vidstyle/models/__init__.py")[0] == {
        "models.fast", "errors"}


def test_the_table_has_a_row_for_every_room_and_no_other():
    table_rules = rules()
    assert {k for k in table_rules if "/" not in k} == ROOMS
    for key in (k for k in table_rules if "/" in k):
        assert os.path.exists(os.path.join(PKG, key)), f"a row for a module that is not there: {key}"
    assert table_rules["temporal"][1] == ("only", {"numpy", "cv2"})  # "no torch", as temporal/ promises
    assert table_rules["cli"][0] is None and table_rules["models"][0] == set()


def test_every_room_imports_only_what_the_table_allows():
    table_rules, allowed_once = rules(), exceptions()
    bad, used = [], set()
    for module, room in modules():
        ours, theirs = imported(open(os.path.join(ROOT, module), encoding="utf-8").read(), module)
        extra = violations(module, room, ours, theirs, table_rules)
        excused = {t for t in extra if allowed(t, allowed_once.get(module.removeprefix("vidstyle/"), set()))}
        used |= {(module.removeprefix("vidstyle/"), e) for e in allowed_once.get(module.removeprefix("vidstyle/"), ())
                 if any(allowed(t, {e}) for t in excused)}
        if extra - excused:
            bad.append(f"{module} imports {sorted(extra - excused)}")
    assert not bad, "\n".join(bad)
    stale = {(m, e) for m, es in allowed_once.items() for e in es} - used
    assert not stale, f"exceptions no longer made (remove their rows): {sorted(stale)}"


def test_no_room_cycles():
    graph = {}
    for module, room in modules():
        ours, _ = imported(open(os.path.join(ROOT, module), encoding="utf-8").read(), module)
        graph.setdefault(room, set()).update({t.split(".")[0] for t in ours} - {room})
    seen, stack = set(), []

    def visit(node):
        assert node not in stack, f"import cycle: {' -> '.join(stack + [node])}"
        if node in seen:
            return
        stack.append(node)
        for nxt in graph.get(node, ()):
            visit(nxt)
        stack.pop()
        seen.add(node)

    for node in graph:
        visit(node)


def test_every_room_says_what_it_holds_and_may_import():
    for name in os.listdir(PKG):
        init = os.path.join(PKG, name, "__init__.py")
        if os.path.exists(init):
            doc = ast.get_docstring(ast.parse(open(init).read())) or ""
            assert "May import" in doc, f"vidstyle/{name}/__init__.py must say what it may import"


def test_the_command_line_docstring_names_every_command():
    from vidstyle.cli.main import build_parser

    doc = ast.get_docstring(ast.parse(open(os.path.join(PKG, "cli", "__init__.py")).read())) or ""
    listed = re.search(r"vidstyle \{([a-z,]+)\}", doc)
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert listed and listed.group(1).split(",") == list(sub.choices), (listed, list(sub.choices))


def test_the_package_names_only_test_files_that_exist():
    named = []
    for module, _ in modules():
        for m in re.finditer(r"\btests/[\w/]+\.py\b", open(os.path.join(ROOT, module)).read()):
            named.append((module, m.group(0)))
    missing = [f"{where} names {p}" for where, p in named if not os.path.exists(os.path.join(ROOT, p))]
    assert not missing, "\n".join(missing)
