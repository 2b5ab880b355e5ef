"""The pages are a thin face: they reach the store only through the core, never through SQL,
spyne or the other faces; each module stays small."""

from __future__ import annotations

import pathlib

import pytest

from tests.test_architecture import PACKAGE, imports_of, top

PAGE_SOURCES = sorted((PACKAGE / "pages").rglob("*.py"))
FORBIDDEN = ("recovery_soap.store", "recovery_soap.soap", "recovery_soap.rest")


def test_page_sources_are_found() -> None:
    assert len(PAGE_SOURCES) >= 8


@pytest.mark.parametrize("path", PAGE_SOURCES, ids=lambda p: p.name)
def test_pages_use_the_core_only(path: pathlib.Path) -> None:
    imported = imports_of(path)
    assert not {top(m) for m in imported} & {"sqlalchemy", "spyne", "lxml"}
    assert not [m for m in imported if m.startswith(FORBIDDEN)]


@pytest.mark.parametrize("path", PAGE_SOURCES, ids=lambda p: p.name)
def test_page_modules_stay_small(path: pathlib.Path) -> None:
    assert len(path.read_text().splitlines()) <= 400


def test_templates_styles_and_catalogues_ship_in_the_wheel() -> None:
    """setup.cfg's package_data names every non-Python file the pages read at run time."""
    import configparser
    import fnmatch

    config = configparser.ConfigParser()
    config.read(PACKAGE.parent / "setup.cfg")
    patterns = [p.strip() for p in config["options.package_data"]["recovery_soap"].split(",")]
    needed = [
        path.relative_to(PACKAGE).as_posix()
        for path in (PACKAGE / "pages").rglob("*")
        if path.is_file() and path.suffix in (".html", ".css", ".po")
    ]
    assert needed
    assert [f for f in needed if not any(fnmatch.fnmatch(f, p) for p in patterns)] == []
