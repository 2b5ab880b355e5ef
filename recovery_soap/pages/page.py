"""One page request: who acts (the tenant's page caller), in which language, with which form
token; and the ways a page answers (a form, an outcome, the "link expired" outcome)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from recovery_soap.core.captcha import new_captcha
from recovery_soap.core.model import SUPER_TENANT, Caller, CaptchaInput
from recovery_soap.core.services import Services
from recovery_soap.pages import csrf
from recovery_soap.pages.i18n import translations
from recovery_soap.pages.view import Views

#: The page every password change is posted to, whichever page showed its form.
RECOVER_PAGE = "recoverpassword.do"


@dataclass
class Page:
    """What a page handler needs; handlers return a werkzeug Response."""

    request: Request
    env: Services
    caller: Caller
    name: str  # the page's file name, e.g. "register.do"
    language: str
    views: Views
    csrf_cookie: str
    tenant_in_path: bool
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tenant(self) -> str:
        return self.caller.tenant.domain

    @property
    def form(self) -> Mapping[str, str]:
        return self.request.form

    def value(self, name: str) -> str:
        """A form field (or, on a GET, a query parameter), trimmed."""
        source = self.request.form if self.request.method == "POST" else self.request.args
        return (source.get(name) or "").strip()

    def _(self, text: str, **values: Any) -> str:
        """Translate (Babel catalogue of the page's language) and fill in ``%(name)s``."""
        translated = translations(self.language).gettext(text)
        return translated % values if values else translated

    def url(self, page: str, **params: str) -> str:
        """A link to another page of the same tenant, relative to this one."""
        query = dict(params)
        if not self.tenant_in_path and self.tenant != SUPER_TENANT:
            query["tenantdomain"] = self.tenant
        return page + ("?" + urlencode(query) if query else "")

    def captcha(self) -> dict[str, str] | None:
        """A fresh captcha for the form, when the service checks captchas."""
        if not self.env.policy.captcha_checked:
            return None
        challenge = new_captcha(self.env, self.caller)
        return {"image": "/" + challenge.image_path, "key": challenge.secret_key}

    def captcha_input(self) -> CaptchaInput:
        return CaptchaInput(
            secret_key=self.value("captcha_key"), user_answer=self.value("captcha_answer")
        )

    def password_hint(self) -> str:
        rules = self.env.policy.passwords
        hint = self._(
            "Use %(min)s to %(max)s characters.", min=rules.min_length, max=rules.max_length
        )
        return f"{hint} {rules.regex_message}".strip() if rules.regex else hint

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        token = csrf.form_token(self.env.keyed, self.csrf_cookie, self.name)
        base = {
            "brand": self.views.brand(self.tenant),
            "lang": self.language,
            "csrf_field": csrf.FIELD,
            "csrf_token": token,
            "recover_token": csrf.form_token(self.env.keyed, self.csrf_cookie, RECOVER_PAGE),
            "url": self.url,
            "errors": {},
            "form_error": "",
            "values": {},
            "captcha": None,
        }
        return self.views.render(self.language, template, {**base, **context}, status)

    def form_page(
        self,
        template: str,
        *,
        errors: Mapping[str, str] | None = None,
        form_error: str = "",
        status: int = 200,
        **context: Any,
    ) -> Response:
        """A form, again with the errors of the last try tied to their fields."""
        return self.render(
            template,
            status=status,
            errors=dict(errors or {}),
            form_error=form_error,
            **context,
        )

    def outcome(
        self,
        success: bool,
        title: str,
        message: str,
        links: Sequence[tuple[str, str]] = (),
        status: int = 200,
    ) -> Response:
        """An outcome page: ``id="outcome"`` with ``data-outcome`` success or error."""
        return self.render(
            "outcome.html",
            status=status,
            success=success,
            title=title,
            message=message,
            links=list(links),
        )

    def expired(self, start_page: str) -> Response:
        """A link whose code is unknown, used or past its time: 200, an error outcome and the
        way to start again (never a 404: the user did nothing wrong)."""
        return self.outcome(
            False,
            self._("This link has expired"),
            self._(
                "The link you followed has expired or was already used. "
                "Please start again to get a new one."
            ),
            [(self.url(start_page), self._("Start again"))],
        )
