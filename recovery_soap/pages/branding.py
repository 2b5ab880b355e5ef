"""Per-tenant branding of the pages: product name, logo and primary colour, read from the same
``templates_dir/<tenant>/tenant.toml`` that already holds the tenant's mail settings."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_PRODUCT = "Account self-service"
DEFAULT_COLOUR = "#1f5fa8"
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(frozen=True)
class Brand:
    product_name: str = DEFAULT_PRODUCT
    logo_url: str = ""
    primary_color: str = DEFAULT_COLOUR

    @property
    def logo_origin(self) -> str:
        """The logo's origin when it lives on another host (the CSP must allow it)."""
        parts = urlsplit(self.logo_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme == "https" else ""


def _safe_logo(url: str) -> str:
    """An https URL or a path on this server; anything else (javascript:, data:) is dropped."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.netloc:
        return url
    if not parts.scheme and not parts.netloc and url.startswith("/"):
        return url
    return ""


def brand_of(templates_dir: str, tenant: str) -> Brand:
    """The tenant's branding; the defaults where the tenant sets nothing (or nothing valid)."""
    if not templates_dir or "/" in tenant or tenant.startswith("."):
        return Brand()
    path = Path(templates_dir) / tenant / "tenant.toml"
    if not path.is_file():
        return Brand()
    with path.open("rb") as handle:
        options = {key: str(value) for key, value in tomllib.load(handle).items()}
    colour = options.get("primary_color", "")
    return Brand(
        product_name=options.get("product_name", "").strip() or DEFAULT_PRODUCT,
        logo_url=_safe_logo(options.get("logo_url", "").strip()),
        primary_color=colour if _COLOUR.fullmatch(colour) else DEFAULT_COLOUR,
    )
