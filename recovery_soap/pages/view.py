"""Rendering: one Jinja2 environment per language (so a request never swaps another's
translations), the page chrome with the tenant's branding, and the security headers."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from werkzeug.wrappers import Response

from recovery_soap.pages.branding import Brand, brand_of
from recovery_soap.pages.i18n import translations

_NOT_ID = re.compile(r"[^A-Za-z0-9_-]")


def security_headers(brand: Brand, language: str) -> list[tuple[str, str]]:
    """No script at all, styles and images from this server only (and the logo's host), no
    framing; the URL may hold a code, so no referrer and no caching anywhere."""
    images = " ".join(filter(None, ["'self'", brand.logo_origin]))
    policy = (
        "default-src 'none'; style-src 'self'; "
        f"img-src {images}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return [
        ("Content-Security-Policy", policy),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Language", language),
        ("Vary", "Accept-Language, Cookie"),
    ]


class Views:
    """Templates and branding, cached for the life of the application."""

    def __init__(self, templates_dir: str) -> None:
        self._templates_dir = templates_dir

    @lru_cache(maxsize=16)  # noqa: B019 - one Views per application, a handful of languages
    def jinja(self, language: str) -> Environment:
        environment = Environment(
            loader=PackageLoader("recovery_soap.pages", "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.filters["idsafe"] = lambda name: _NOT_ID.sub("-", str(name))
        environment.install_gettext_translations(  # type: ignore[attr-defined]
            translations(language), newstyle=True
        )
        return environment

    @lru_cache(maxsize=256)  # noqa: B019
    def brand(self, tenant: str) -> Brand:
        return brand_of(self._templates_dir, tenant)

    def render(
        self, language: str, template: str, context: dict[str, Any], status: int = 200
    ) -> Response:
        body = self.jinja(language).get_template(template).render(context)
        return Response(body, status=status, content_type="text/html; charset=utf-8")
