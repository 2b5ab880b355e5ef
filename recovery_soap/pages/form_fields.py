"""The stable form contract (docs/pages.md): input names and the claims they carry, and the
checks a page makes before it calls the core (so a typo never spends a code)."""

from __future__ import annotations

from recovery_soap.core.claims import DIALECT, EMAIL, GIVEN_NAME, supported_claims
from recovery_soap.pages.page import Page

LAST_NAME = f"{DIALECT}/lastname"
#: Input name of each profile claim the pages name plainly; other claims use their URI.
INPUT_OF_CLAIM = {GIVEN_NAME: "first_name", LAST_NAME: "last_name", EMAIL: "email"}


def signup_claims() -> list[tuple[str, str, str]]:
    """(input name, claim URI, label) of the claims a tenant requires at sign-up, from the
    catalogue getUserIdentitySupportedClaims serves."""
    return [
        (INPUT_OF_CLAIM.get(claim.uri, claim.uri), claim.uri, claim.display_name)
        for claim in supported_claims(DIALECT)
        if claim.required
    ]


def required(page: Page, names: list[str], errors: dict[str, str]) -> None:
    for name in names:
        if not page.value(name) and name not in errors:
            errors[name] = page._("Please fill in this field.")


def new_password(page: Page, errors: dict[str, str]) -> None:
    """Both password fields given, equal and within the policy."""
    password = page.form.get("password") or ""
    if not password:
        errors["password"] = page._("Please choose a password.")
    elif page.env.policy.passwords.problem(password):
        errors["password"] = page._("This password does not meet the policy.")
    elif password != (page.form.get("confirm_password") or ""):
        errors["confirm_password"] = page._("The two passwords are not the same.")
