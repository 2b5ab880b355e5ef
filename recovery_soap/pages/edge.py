"""The pages' WSGI callable: finds the tenant and the page, checks the CSRF token of every POST,
builds the page caller and answers with the security headers. Failures become pages, never a
trace: an unreachable database 503, anything unexpected 500, both with an error outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any

from werkzeug.wrappers import Request, Response

from recovery_soap.config import Settings
from recovery_soap.core.errors import RecoveryError, RequestRefused, Unavailable
from recovery_soap.core.model import SUPER_TENANT, Caller, Tenant
from recovery_soap.core.self_service import page_caller
from recovery_soap.core.services import Services
from recovery_soap.edge import client_address, scheme_of
from recovery_soap.forwarded import TrustedProxies
from recovery_soap.pages import csrf, password, signup, username
from recovery_soap.pages.i18n import available_languages, negotiate
from recovery_soap.pages.messages import explain
from recovery_soap.pages.page import Page
from recovery_soap.pages.view import Views, security_headers

log = logging.getLogger("recovery_soap.pages")
ENDPOINT = "accountrecoveryendpoint"
Handler = Callable[[Page], Response]
HANDLERS: dict[str, Handler] = {
    "register.do": signup.register,
    "confirmregistration.do": signup.confirm,
    "resendconfirmation.do": signup.resend,
    "recoverpassword.do": password.recover,
    "confirmrecovery.do": password.confirm,
    "recoverusername.do": username.recover,
}
#: Largest accepted form, bytes: the pages' forms are a few short fields.
MAX_FORM_BYTES = 16 * 1024


def locate(request: Request) -> tuple[str, bool, str]:
    """(tenant domain, whether the path named it, page name) of a pages path."""
    path = request.path
    in_path = path.startswith("/t/")
    tenant = ""
    if in_path:
        tenant, _, rest = path[3:].partition("/")
        path = "/" + rest
    name = path[len(f"/{ENDPOINT}/") :]
    if not in_path:
        tenant = (request.args.get("tenantdomain") or "").strip()
    return tenant or SUPER_TENANT, in_path, name


class PagesEdge:
    def __init__(self, settings: Settings, env: Services) -> None:
        self.settings = settings
        self.env = env
        self.proxies = TrustedProxies.from_settings(settings)
        self.views = Views(settings.templates_dir)
        self.languages = available_languages()
        stylesheet = resources.files(__package__).joinpath("static/pages.css")
        self.stylesheet = stylesheet.read_bytes()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_FORM_BYTES
        request.max_form_memory_size = MAX_FORM_BYTES
        language = negotiate(list(request.accept_languages.values()), self.languages)
        tenant, in_path, name = locate(request)
        cookie = request.cookies.get(csrf.COOKIE) or ""
        fresh = not cookie
        cookie = cookie or csrf.new_cookie_value()
        try:
            caller, reachable = self._caller(environ, tenant), True
        except Unavailable:
            caller, reachable = None, False
        page = Page(
            request=request,
            env=self.env,
            caller=caller or _nobody(tenant),
            name=name,
            language=language,
            views=self.views,
            csrf_cookie=cookie,
            tenant_in_path=in_path,
        )
        response = (
            self._respond(page, known_tenant=caller is not None)
            if reachable
            else _unavailable(page)
        )
        for header, value in security_headers(page.views.brand(page.tenant), language):
            response.headers[header] = value
        if fresh:
            response.set_cookie(
                csrf.COOKIE,
                cookie,
                httponly=True,
                samesite="Strict",
                secure=scheme_of(environ, self.proxies) == "https",
                path="/",
            )
        return response(environ, start_response)

    def _caller(self, environ: dict[str, Any], tenant: str) -> Caller | None:
        address = client_address(environ, self.proxies)
        return page_caller(self.env, tenant, address)

    def _respond(self, page: Page, *, known_tenant: bool) -> Response:
        method = page.request.method
        if page.name == "pages.css":
            return Response(self.stylesheet, content_type="text/css; charset=utf-8")
        if page.name == "brand.css":
            colour = page.views.brand(page.tenant).primary_color
            return Response(f":root {{ --brand: {colour}; }}\n", content_type="text/css")
        handler = HANDLERS.get(page.name)
        if handler is None:
            return page.outcome(
                False, page._("Page not found"), page._("No such page."), status=404
            )
        if method not in ("GET", "HEAD", "POST"):
            response = page.outcome(False, page._("Not allowed"), "", status=405)
            response.headers["Allow"] = "GET, HEAD, POST"
            return response
        if method == "POST" and not self._form_is_ours(page):
            return page.outcome(
                False,
                page._("This form has expired"),
                page._("Please reload the page and try again."),
                status=403,
            )
        if not known_tenant:
            return page.outcome(
                False, page._("Unknown organisation"), page._("No such organisation."), status=404
            )
        return self._run(page, handler)

    def _form_is_ours(self, page: Page) -> bool:
        try:
            token = page.request.form.get(csrf.FIELD)
        except Exception:  # noqa: BLE001 - an oversized or malformed body carries no token
            return False
        cookie = page.request.cookies.get(csrf.COOKIE)
        return csrf.valid(page.env.keyed, cookie, page.name, token)

    def _run(self, page: Page, handler: Handler) -> Response:
        try:
            return handler(page)
        except RecoveryError as error:
            _, message = explain(page, error)
            return page.outcome(False, page._("This did not work"), message)
        except RequestRefused:
            return page.outcome(
                False, page._("This did not work"), page._("This request was refused."), status=400
            )
        except Unavailable:
            return _unavailable(page)
        except Exception:  # noqa: BLE001 - a person sees a page, the log gets the error
            log.exception("self-service page %s failed", page.name)
            return page.outcome(
                False,
                page._("Something went wrong"),
                page._("Please try again later."),
                status=500,
            )


def _nobody(tenant: str) -> Caller:
    """A caller that may do nothing, to render the pages refusing an unknown tenant."""
    return Caller(account="-", tenant=Tenant(id=-1, domain=tenant), permissions=frozenset())


def _unavailable(page: Page) -> Response:
    return page.outcome(
        False,
        page._("Temporarily unavailable"),
        page._("Please try again in a few minutes."),
        status=503,
    )
