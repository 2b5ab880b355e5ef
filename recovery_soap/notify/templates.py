"""Message templates (Jinja2): per message kind a subject, a plain-text body and an HTML
alternative; an operator's directory may override any of them, for all tenants or one.

Lookup order for ``<kind>.<part>.j2``: ``templates_dir/<tenant-domain>/``, ``templates_dir/``,
the templates shipped in this package. ``templates_dir/<tenant-domain>/tenant.toml`` may set
``mail_from`` and ``link_base_url`` for that tenant.

Variables: ``first_name``, ``user_name``, ``code`` (the confirmation code; empty for notices),
``tenant_domain``, ``userstore_domain``, ``link`` (``link_base_url`` with the code and user; else
the self-service page under ``public_url`` with the legacy parameter names; or empty), ``kind``.
``tenant.toml`` may also set ``public_url``, and the pages' branding (``product_name``,
``logo_url``, ``primary_color``).
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

#: The self-service page each kind of coded mail links to (recovery_soap.pages).
PAGE_OF = {
    MessageKind.ACCOUNT_CONFIRMATION: "confirmregistration.do",
    MessageKind.PASSWORD_RESET: "confirmrecovery.do",
}

if TYPE_CHECKING:  # Jinja2 is imported on the first message: workers that send none skip it
    from jinja2.sandbox import SandboxedEnvironment


class TemplateRenderer:
    """Renders (kind, variables) into a RenderedMessage, as the core's MessageRenderer port."""

    def __init__(self, settings: Settings) -> None:
        self._directory = Path(settings.templates_dir) if settings.templates_dir else None
        self._mail_from = settings.mail_from
        self._link_base = settings.link_base_url
        self._public_url = settings.public_url
        self._pages = settings.pages

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

    def _link(
        self, kind: MessageKind, variables: Mapping[str, str], options: Mapping[str, str]
    ) -> str:
        """The operator's own page (``link_base_url``) if set, else this server's page for the
        message kind, with the legacy account-recovery parameter names; empty when neither."""
        code = variables.get("code", "")
        if not code:
            return ""
        tenant = variables.get("tenant_domain", "")
        link_base = options.get("link_base_url", self._link_base)
        if link_base:
            separator = "&" if "?" in link_base else "?"
            query = {"code": code, "user": variables.get("user_name", ""), "tenant": tenant}
            return link_base + separator + urlencode(query)
        public = options.get("public_url", self._public_url).rstrip("/")
        page = PAGE_OF.get(kind)
        if not (public and page and self._pages):
            return ""
        query = {
            "confirmation": code,
            "userstoredomain": variables.get("userstore_domain", "PRIMARY"),
            "username": variables.get("user_name", ""),
            "tenantdomain": tenant,
        }
        return f"{public}/accountrecoveryendpoint/{page}?{urlencode(query)}"

    def __call__(self, kind: MessageKind, variables: Mapping[str, str]) -> RenderedMessage:
        tenant = variables.get("tenant_domain", "")
        options = self._tenant_options(tenant)
        link = self._link(kind, variables, options)
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
