"""Message templates (Jinja2): per message kind a subject, a plain-text body and an HTML
alternative; an operator's directory may override any of them, for all tenants or one.

Lookup order for ``<kind>.<part>.j2``: ``templates_dir/<tenant-domain>/``, ``templates_dir/``,
the templates shipped in this package. ``templates_dir/<tenant-domain>/tenant.toml`` may set
``mail_from`` and ``link_base_url`` for that tenant.

Variables: ``first_name``, ``user_name``, ``code`` (the confirmation code; empty for notices),
``tenant_domain``, ``userstore_domain``, ``link`` (``link_base_url`` with the code and user, or
empty), ``kind``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from recovery_soap.config import Settings
from recovery_soap.core.model import MessageKind, RenderedMessage

if TYPE_CHECKING:  # Jinja2 is imported on the first message: workers that send none skip it
    from jinja2.sandbox import SandboxedEnvironment


class TemplateRenderer:
    """Renders (kind, variables) into a RenderedMessage, as the core's MessageRenderer port."""

    def __init__(self, settings: Settings) -> None:
        self._directory = Path(settings.templates_dir) if settings.templates_dir else None
        self._mail_from = settings.mail_from
        self._link_base = settings.link_base_url

    @lru_cache(maxsize=64)  # noqa: B019 - one renderer per app, a handful of tenants
    def _environment(self, tenant: str, html: bool) -> SandboxedEnvironment:
        from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        loaders: list[FileSystemLoader | PackageLoader] = []
        if self._directory is not None:
            if tenant and "/" not in tenant and not tenant.startswith("."):
                loaders.append(FileSystemLoader(self._directory / tenant))
            loaders.append(FileSystemLoader(self._directory))
        loaders.append(PackageLoader("recovery_soap.notify", "templates"))
        return SandboxedEnvironment(
            loader=ChoiceLoader(loaders),
            autoescape=html,
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    @lru_cache(maxsize=64)  # noqa: B019
    def _tenant_options(self, tenant: str) -> dict[str, str]:
        if self._directory is None or "/" in tenant or tenant.startswith("."):
            return {}
        path = self._directory / tenant / "tenant.toml"
        if not path.is_file():
            return {}
        with path.open("rb") as handle:
            return {k: str(v) for k, v in tomllib.load(handle).items()}

    def __call__(self, kind: MessageKind, variables: Mapping[str, str]) -> RenderedMessage:
        tenant = variables.get("tenant_domain", "")
        options = self._tenant_options(tenant)
        link_base = options.get("link_base_url", self._link_base)
        code = variables.get("code", "")
        link = ""
        if link_base and code:
            separator = "&" if "?" in link_base else "?"
            link = (
                link_base
                + separator
                + urlencode(
                    {"code": code, "user": variables.get("user_name", ""), "tenant": tenant}
                )
            )
        context = {**variables, "link": link, "kind": kind.value}
        from jinja2 import TemplateNotFound

        text_env, html_env = self._environment(tenant, False), self._environment(tenant, True)
        subject = text_env.get_template(f"{kind.value}.subject.j2").render(context).strip()
        body = text_env.get_template(f"{kind.value}.txt.j2").render(context)
        try:
            html: str | None = html_env.get_template(f"{kind.value}.html.j2").render(context)
        except TemplateNotFound:
            html = None
        return RenderedMessage(
            subject=" ".join(subject.split()),
            text=body,
            html=html,
            sender=options.get("mail_from", self._mail_from),
        )
