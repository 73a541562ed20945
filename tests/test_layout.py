"""The package's architecture holds: each room imports only what its docstring allows, and nothing cycles."""
import argparse
import ast
import os
import re

from conftest import ROOT

PKG = os.path.join(ROOT, "vidstyle")
# room -> rooms it may import (besides itself and vidstyle.errors); "*" = anything
ALLOWED = {
    "errors": set(),
    "data": set(),
    "runtime": set(),
    "models": set(),
    "temporal": set(),
    "media": set(),
    "styles": set(),
    "library": {"api", "media", "styles"},
    "stylizer": {"models", "runtime", "media", "styles"},
    "api": {"stylizer"},
    "jobs": {"stylizer", "media", "pipelines", "runtime", "temporal"},
    "live": {"media", "runtime"},
    "pipelines": {"media", "live", "runtime", "temporal"},
    "train": {"models", "runtime", "data", "media", "styles"},
    "eval": {"api", "models", "media", "runtime", "data", "optimize"},
    "optimize": {"models", "runtime"},
    "export": {"api", "models", "media"},
    "bench": {"api", "models", "media", "runtime", "live", "pipelines", "temporal", "export", "jobs"},
    "serve": {"media", "runtime", "live", "temporal", "pipelines", "styles"},
    "batch": {"jobs", "media", "runtime"},
    "cli": {"*"},
    "__init__": {"api"},
    "__main__": {"cli"},
}


def room(path: str) -> str:
    rel = os.path.relpath(path, PKG).replace(os.sep, "/")
    return rel.split("/")[0].removesuffix(".py")


def imports(path: str) -> set[str]:
    """The vidstyle rooms a module imports (module-level and inside functions alike)."""
    tree = ast.parse(open(path).read())
    depth = len(os.path.relpath(path, PKG).split(os.sep))  # 1 for vidstyle/x.py, 2 for vidstyle/room/x.py
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").startswith("vidstyle."):
                found.add(node.module.split(".")[1])
            elif node.level:
                parts = (node.module or "").split(".")
                if node.level >= depth:  # climbs to the package root: the first part names the room
                    found.add(parts[0] if parts[0] else node.names[0].name)
    return found


def modules():
    for folder, _, files in os.walk(PKG):
        for f in files:
            if f.endswith(".py"):
                yield os.path.join(folder, f)


def test_every_room_imports_only_what_it_may():
    bad = []
    for path in modules():
        r = room(path)
        allowed = ALLOWED[r] | {r, "errors"}
        extra = {i for i in imports(path) if i not in allowed} if "*" not in allowed else set()
        if extra:
            bad.append(f"{os.path.relpath(path, ROOT)} imports {sorted(extra)}")
    assert not bad, "\n".join(bad)


def test_no_room_cycles():
    graph = {}
    for path in modules():
        graph.setdefault(room(path), set()).update(imports(path) - {room(path)})
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
    for path in modules():
        for m in re.finditer(r"\btests/[\w/]+\.py\b", open(path).read()):
            named.append((os.path.relpath(path, ROOT), m.group(0)))
    missing = [f"{where} names {p}" for where, p in named if not os.path.exists(os.path.join(ROOT, p))]
    assert not missing, "\n".join(missing)
