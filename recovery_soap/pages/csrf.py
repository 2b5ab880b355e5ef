"""CSRF defence: a random cookie (SameSite=Strict, HttpOnly, Secure over HTTPS) and, in each
form, a token that is a keyed hash of that cookie and the form's page. A POST whose token does
not match its cookie is refused before anything runs."""

from __future__ import annotations

import secrets

from recovery_soap.core.code_secrets import KeyedHasher

COOKIE = "recovery_pages_csrf"
FIELD = "csrf_token"
_LABEL = "pages-csrf"


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def form_token(keyed: KeyedHasher, cookie: str, page: str) -> str:
    return keyed.exact_digest(_LABEL, f"{cookie}|{page}")


def valid(keyed: KeyedHasher, cookie: str | None, page: str, token: str | None) -> bool:
    if not cookie or not token or len(cookie) > 128:
        return False
    return keyed.same(form_token(keyed, cookie, page), token)
