"""Sign-up pages: register.do, confirmregistration.do (the link in the sign-up mail) and
resendconfirmation.do. Opening the mailed link never spends its code: only the button does."""

from __future__ import annotations

from werkzeug.wrappers import Response

from recovery_soap.core import registration
from recovery_soap.core.errors import ExpiredCode, InvalidCode, RecoveryError
from recovery_soap.core.self_service import check_signup_link, register_with_captcha
from recovery_soap.pages.form_fields import new_password, required, signup_claims
from recovery_soap.pages.messages import explain
from recovery_soap.pages.page import Page

REGISTER = "register.do"
RESEND = "resendconfirmation.do"


def _register_form(page: Page, errors: dict[str, str], form_error: str = "") -> Response:
    values = {name: page.value(name) for name, _, _ in signup_claims()}
    values["username"] = page.value("username")
    return page.form_page(
        "register.html",
        errors=errors,
        form_error=form_error,
        values=values,
        claims=signup_claims(),
        password_hint=page.password_hint(),
        captcha=page.captcha(),
    )


def register(page: Page) -> Response:
    if page.request.method != "POST":
        return _register_form(page, {})
    errors: dict[str, str] = {}
    claims = signup_claims()
    required(page, ["username", *(name for name, _, _ in claims)], errors)
    new_password(page, errors)
    if errors:
        return _register_form(page, errors)
    try:
        register_with_captcha(
            page.env,
            page.caller,
            page.captcha_input(),
            page.value("username"),
            page.form.get("password"),
            [(uri, page.value(name)) for name, uri, _ in claims],
        )
    except RecoveryError as error:
        field, message = explain(page, error)
        if field == "username":
            message = page._("This user name cannot be used. Please choose another one.")
        if field:
            return _register_form(page, {field: message})
        return _register_form(page, {}, message)
    if page.env.policy.lock_on_creation:
        return page.outcome(
            True,
            page._("Check your mail"),
            page._(
                "We sent you a message with a link to confirm your account. "
                "The account can be used once it is confirmed."
            ),
            [(page.url(RESEND), page._("No message? Send it again"))],
        )
    return page.outcome(True, page._("Your account is ready"), page._("You can now sign in."))


def _link(page: Page) -> tuple[str, str]:
    return page.value("username"), page.value("confirmation")


def confirm(page: Page) -> Response:
    username, code = _link(page)
    if not (username and code):
        return page.expired(RESEND)
    if page.request.method != "POST":
        try:
            check_signup_link(page.env, page.caller, username, code, page.tenant)
        except (InvalidCode, ExpiredCode):
            return page.expired(RESEND)
        return _confirm_form(page, {})
    try:
        registration.confirm_registration(
            page.env, page.caller, username, code, page.captcha_input(), page.tenant
        )
    except (InvalidCode, ExpiredCode):
        return page.expired(RESEND)
    except RecoveryError as error:
        field, message = explain(page, error)
        if field == "captcha_answer":
            return _confirm_form(page, {field: message})
        raise
    return page.outcome(True, page._("Your account is confirmed"), page._("You can now sign in."))


def _confirm_form(page: Page, errors: dict[str, str]) -> Response:
    username, code = _link(page)
    return page.form_page(
        "confirm_registration.html",
        errors=errors,
        username=username,
        confirmation=code,
        captcha=page.captcha(),
    )


def resend(page: Page) -> Response:
    if page.request.method != "POST":
        return _resend_form(page, {})
    errors: dict[str, str] = {}
    required(page, ["username"], errors)
    if errors:
        return _resend_form(page, errors)
    try:
        registration.resend_signup_code(
            page.env, page.caller, page.value("username"), "", None, page.tenant
        )
    except (InvalidCode, ExpiredCode):
        message = page._("This account is not waiting for confirmation.")
        return _resend_form(page, {"username": message})
    except RecoveryError as error:
        field, message = explain(page, error)
        return _resend_form(page, {field: message} if field else {}, "" if field else message)
    return page.outcome(
        True,
        page._("Check your mail"),
        page._("If this account is waiting for confirmation, a new message is on its way."),
    )


def _resend_form(page: Page, errors: dict[str, str], form_error: str = "") -> Response:
    return page.form_page(
        "resend.html",
        errors=errors,
        form_error=form_error,
        values={"username": page.value("username")},
    )
