"""Every language's catalogue translates every message the pages use (extracted from the
sources as pybabel would), and compiles; the package ships the sources the catalogues need."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from recovery_soap.pages.i18n import available_languages, translations

PAGES = Path(__file__).resolve().parents[2] / "recovery_soap" / "pages"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def _used() -> set[str]:
    return {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(PAGES), METHODS, keywords={"_": None}
        )
    }


def test_english_and_more_languages_are_offered() -> None:
    assert available_languages()[0] == "en" and len(available_languages()) >= 2


@pytest.mark.parametrize("language", [lang for lang in available_languages() if lang != "en"])
def test_every_message_is_translated(language: str) -> None:
    path = PAGES / "locale" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert _used() - translated == set(), "run pybabel extract/update (recovery_soap/pages)"
    assert translations(language).gettext("Continue") != "Continue"
