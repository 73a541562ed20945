"""The front page and the docs hold together: README.md is short and keeps the two quick-start commands exactly
(CI and users run them), and every relative link in README.md and docs/*.md names a file that exists, and a
heading that exists where it names one (GitHub's anchors)."""
import glob
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
PAGES = [README] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
MAX_README_LINES = 220
QUICK_START = (
    "pip install -e . && vidstyle file samples/video_big_buck_bunny_excerpt.mp4 bunny_starry.mp4 --overwrite",
    "pip install -e '.[test]' && python -m pytest -q",
)
LINK = re.compile(r"!?\[(?:[^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^\s*(```|~~~)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:, ...


def prose_lines(path: str) -> list[str]:
    """The file's lines outside fenced code blocks, inline code spans removed."""
    out, fenced = [], False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if FENCE.match(line):
                fenced = not fenced
                continue
            if not fenced:
                out.append(re.sub(r"`[^`]*`", "", line.rstrip("\n")))
    return out


def slug(heading: str) -> str:
    """GitHub's anchor of a heading's text: links reduced to their text, lower case, punctuation dropped (word
    characters, hyphens and spaces kept), spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: str) -> set[str]:
    """Every heading anchor of a markdown file, numbered -1, -2... where a heading repeats, as GitHub does."""
    seen: dict[str, int] = {}
    out = set()
    fenced = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if FENCE.match(line):
                fenced = not fenced
            m = None if fenced else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
            if m:
                base = slug(m.group(1))
                n = seen.get(base, 0)
                seen[base] = n + 1
                out.add(base if n == 0 else f"{base}-{n}")
    return out


def broken_links(path: str) -> list[str]:
    """'target (why)' for each relative link of ``path`` whose file or heading does not exist."""
    bad = []
    for line in prose_lines(path):
        for target in LINK.findall(line):
            if EXTERNAL.match(target):
                continue
            file_part, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            if not os.path.exists(dest):
                bad.append(f"{target} (no such file)")
            elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                bad.append(f"{target} (no such heading in {os.path.relpath(dest, ROOT)})")
    return bad


def test_readme_is_a_front_page():
    with open(README, encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; the rest belongs in docs/"
    stripped = {ln.strip() for ln in lines}
    for command in QUICK_START:
        assert command in stripped, f"README.md lost the quick-start command: {command}"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: os.path.relpath(p, ROOT))
def test_relative_links_resolve(path):
    assert broken_links(path) == []


def test_link_check_sees_broken_links(tmp_path):
    """The checker itself: a missing file, a missing heading and a link in prose are found; code is not read."""
    (tmp_path / "other.md").write_text("# Other page\n## Some `code`: here\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text("# Title\n[ok](other.md#some-code-here) [ok](#title) [ok](https://example.org/x.md)\n"
                    "[gone](missing.md) ![gone](pic.jpg) [bad anchor](other.md#nothing)\n"
                    "```\n[in code](not-checked.md)\n```\n`[inline](not-checked.md)`\n", encoding="utf-8")
    assert broken_links(str(page)) == ["missing.md (no such file)", "pic.jpg (no such file)",
                                       "other.md#nothing (no such heading in " + os.path.relpath(
                                           str(tmp_path / "other.md"), ROOT) + ")"]
