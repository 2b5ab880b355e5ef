"""Helpers for the page tests: page URLs, form tokens over plain HTTP, links out of mails."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import requests

from recovery_soap.core.model import SUPER_TENANT, Caller
from recovery_soap.core.self_service import page_caller
from tests.conftest import LiveServer
from tests.support import body_of

#: The public_url the page servers are given; mails link below it (tests map it to the server).
PUBLIC = "https://accounts.example.test"
ENDPOINT = "/accountrecoveryendpoint/"
OLD_PASSWORD = "Initial#Pass123"
NEW_PASSWORD = "Brand#New456"
_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
_OUTCOME = re.compile(r'id="outcome"[^>]*data-outcome="(success|error)"')
_LINK = re.compile(r"https?://\S+?/accountrecoveryendpoint/[a-z]+\.do\?\S+")


def page_url(server: LiveServer, page: str, tenant: str = "") -> str:
    prefix = f"/t/{tenant}" if tenant else ""
    return f"{server.url}{prefix}{ENDPOINT}{page}"


def form_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "no CSRF token in the form"
    return found.group(1)


def outcome_of(html: str) -> str | None:
    found = _OUTCOME.search(html)
    return found.group(1) if found else None


def post_form(
    server: LiveServer, page: str, data: dict[str, str], *, session: requests.Session | None = None
) -> requests.Response:
    """GET the page (for its cookie and token), then POST the form as a browser would."""
    session = session or requests.Session()
    shown = session.get(page_url(server, page), timeout=30)
    assert shown.status_code == 200, shown.text
    return session.post(
        page_url(server, page), data={"csrf_token": form_token(shown.text), **data}, timeout=30
    )


def mailed_link(server: LiveServer, address: str, page: str) -> str:
    """The newest link to ``page`` mailed to ``address``, pointed at the test server."""
    server.deliver_mail()
    for mail in reversed(server.smtp.mailbox.for_address(address)):
        for link in _LINK.findall(body_of(mail)):
            if f"{ENDPOINT}{page}?" in link:
                assert link.startswith(PUBLIC + ENDPOINT), link
                return server.url + link[len(PUBLIC) :]
    raise AssertionError(f"no link to {page} mailed to {address}")


def query_of(link: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(link).query).items()}


def pages_caller(server: LiveServer, tenant: str = SUPER_TENANT) -> Caller:
    caller = page_caller(server.app.env, tenant, "127.0.0.1")
    assert caller is not None
    return caller
