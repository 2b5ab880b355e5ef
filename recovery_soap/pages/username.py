"""Forgotten user name (recoverusername.do): e-mail address and name; the user name goes by
mail only, never onto the page."""

from __future__ import annotations

from werkzeug.wrappers import Response

from recovery_soap.core import username_recovery
from recovery_soap.core.errors import InvalidUser, RecoveryError
from recovery_soap.pages.form_fields import INPUT_OF_CLAIM, required
from recovery_soap.pages.messages import explain
from recovery_soap.pages.page import Page


def _form(page: Page, errors: dict[str, str], form_error: str = "") -> Response:
    return page.form_page(
        "recover_username.html",
        errors=errors,
        form_error=form_error,
        values={name: page.value(name) for name in INPUT_OF_CLAIM.values()},
        captcha=page.captcha(),
    )


def recover(page: Page) -> Response:
    if page.request.method != "POST":
        return _form(page, {})
    errors: dict[str, str] = {}
    required(page, ["email"], errors)
    if errors:
        return _form(page, errors)
    claims = [(uri, page.value(name)) for uri, name in INPUT_OF_CLAIM.items()]
    try:
        username_recovery.verify_account(
            page.env, page.caller, claims, page.captcha_input(), page.tenant
        )
    except InvalidUser:
        return _form(page, {}, page._("No single account matches these details."))
    except RecoveryError as error:
        field, message = explain(page, error)
        return _form(page, {field: message} if field else {}, "" if field else message)
    return page.outcome(
        True,
        page._("Check your mail"),
        page._("If an account matches these details, its user name is on its way by mail."),
    )
