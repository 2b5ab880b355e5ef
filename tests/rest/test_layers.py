"""The REST faces keep the architecture: the core imports none of their libraries, and the
token library stays inside rest/ (and the command that rotates keys)."""

from __future__ import annotations

import pathlib

import pytest

from tests.test_architecture import CORE_SOURCES, PACKAGE, SOURCES, imports_of, top

REST_LIBRARIES = {"werkzeug", "joserfc", "pydantic", "scim2_models", "httpx"}


@pytest.mark.parametrize("path", CORE_SOURCES, ids=lambda p: p.name)
def test_core_imports_no_rest_library(path: pathlib.Path) -> None:
    assert not {top(m) for m in imports_of(path)} & REST_LIBRARIES


def test_only_rest_imports_the_token_library() -> None:
    importers = {
        str(path.relative_to(PACKAGE))
        for path in SOURCES
        if any(top(m) == "joserfc" for m in imports_of(path))
    }
    assert importers, "joserfc is imported nowhere: the scan is broken"
    assert {p for p in importers if not p.startswith("rest/")} == set()


def test_rest_never_imports_the_soap_face() -> None:
    rest = [p for p in SOURCES if p.relative_to(PACKAGE).parts[0] == "rest"]
    assert rest
    for path in rest:
        assert not any(m.startswith("recovery_soap.soap") for m in imports_of(path)), path
