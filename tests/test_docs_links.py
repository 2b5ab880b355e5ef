"""Documents link only to what exists: files of the repository and sections of the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_relative_links_resolve(doc: Path) -> None:
    text = doc.read_text()
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
    if doc.parent.name == "docs":  # operators' documents stand alone
        assert "../shared" not in text, f"{doc.name} points outside the repository"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_readme_sections_named_exist(doc: Path) -> None:
    sections = set(re.findall(r"^#+ (.+)$", (ROOT / "README.md").read_text(), re.M))
    for name in re.findall(r"README, (?:section )?\*([^*]+)\*", doc.read_text()):
        assert name in sections, f"{doc.name} names a README section that does not exist: {name}"
