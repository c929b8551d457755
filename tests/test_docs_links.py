"""Every relative link of README.md and docs/*.md resolves: the file exists in the repository,
and an `#anchor` names a heading of its target.

Anchors follow GitHub's rule for headings (written here from GitHub's behaviour, not from any
code of the project): the text lowercased, every character that is not a letter, a digit, a
space, `-` or `_` dropped, spaces turned into `-`; a repeated anchor gets `-1`, `-2`... Links
inside fenced code blocks and inline code are text, not links, and are left alone.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) or ![alt](target); a target has no spaces (none of ours has a title).
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)\)")


def prose(text: str) -> list[str]:
    """The lines outside fenced code blocks, with inline code blanked out."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(
                re.sub(r"`[^`]*`", lambda m: "`" + "x" * (len(m.group(0)) - 2) + "`", line)
            )
    return lines


def github_anchor(heading: str) -> str:
    """GitHub's anchor of a heading's text."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings, duplicates numbered as GitHub numbers them."""
    seen: Counter[str] = Counter()
    found = set()
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        heading = re.match(r"^#{1,6} (.+?)\s*#*\s*$", line)
        if fenced or not heading:
            continue
        base = github_anchor(heading.group(1))
        found.add(base if not seen[base] else f"{base}-{seen[base]}")
        seen[base] += 1
    return found


def links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    targets = []
    for line in prose(text):
        targets += [m.group(1) for m in LINK.finditer(line)]
    return targets


def test_the_anchor_rule_matches_github_on_hand_written_cases() -> None:
    # Headings of this repository and the anchors GitHub gives them (checked by hand).
    assert github_anchor("The `/__admin/` API") == "the-__admin-api"
    assert github_anchor("The OpenAPI document, for your tools") == (
        "the-openapi-document-for-your-tools"
    )
    assert github_anchor("matching_notp: one call, scores") == "matching_notp-one-call-scores"
    assert github_anchor("State, stopping and safe methods") == "state-stopping-and-safe-methods"
    assert github_anchor("Contract testing: the mock, DQE, and your client") == (
        "contract-testing-the-mock-dqe-and-your-client"
    )


def test_the_pages_are_found() -> None:
    names = {page.relative_to(ROOT).as_posix() for page in PAGES}
    assert {"README.md", "docs/contract-notes.md", "docs/scenarios.md", "docs/limits.md"} <= names
    assert all(links(page) for page in PAGES), "a page without a single link"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not ours to check
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists() or not dest.is_relative_to(ROOT):
            broken.append(f"{target}: no file {dest}")
            continue
        if anchor:
            if dest.suffix != ".md":
                broken.append(f"{target}: an anchor into a file that is not Markdown")
            elif anchor not in anchors(dest):
                broken.append(f"{target}: no heading with anchor #{anchor} in {dest.name}")
    assert not broken, "\n".join(broken)


def test_the_readme_links_every_docs_page() -> None:
    """README "Where to go next" names each page of docs/ and the benchmarks' README."""
    readme = PAGES[0]
    next_steps = readme.read_text(encoding="utf-8").split("## Where to go next", 1)[1]
    targets = {target.partition("#")[0] for target in LINK.findall(next_steps)}
    for page in PAGES[1:]:
        assert page.relative_to(ROOT).as_posix() in targets, page.name
    assert "benchmarks/README.md" in targets
