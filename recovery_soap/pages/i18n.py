"""Message catalogues (Babel): the ``.po`` files shipped in ``locale/`` are compiled in memory
when the pages load, so an editable install and a wheel behave the same with no build step."""

from __future__ import annotations

import io
from functools import lru_cache
from importlib import resources

from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"


def available_languages() -> list[str]:
    """English (the source language) and every language with a shipped catalogue."""
    root = resources.files(__package__).joinpath("locale")
    found = sorted(entry.name for entry in root.iterdir() if entry.is_dir())
    return [DEFAULT_LANGUAGE, *(name for name in found if name != DEFAULT_LANGUAGE)]


@lru_cache(maxsize=16)
def translations(language: str) -> NullTranslations:
    """The catalogue of ``language`` (English: the messages as written)."""
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    source = resources.files(__package__).joinpath(f"locale/{language}/LC_MESSAGES/{DOMAIN}.po")
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def negotiate(preferred: list[str], available: list[str]) -> str:
    """The first language the person prefers that the pages speak, a region falling back to
    its language (fr-CA: fr), in the order of their Accept-Language; English otherwise."""
    chosen = (negotiate_locale(preferred, available, sep="-") or DEFAULT_LANGUAGE).lower()
    return next((name for name in available if name.lower() == chosen), DEFAULT_LANGUAGE)
