"""Mails link to the pages with the legacy parameter names; an operator's link_base_url still
wins, per tenant too."""

from __future__ import annotations

from pathlib import Path

import pytest

from recovery_soap.config import Settings
from recovery_soap.core.model import MessageKind
from recovery_soap.notify.templates import TemplateRenderer
from tests.pages.support import query_of

CODE = "0b8d5a62-3f1c-4e7a-9c2d-5e6f7a8b9c0d"
VARIABLES = {
    "first_name": "Alex",
    "user_name": "alex",
    "code": CODE,
    "tenant_domain": "acme.test",
    "userstore_domain": "PRIMARY",
}


def _link(settings: Settings, kind: MessageKind) -> str:
    text = TemplateRenderer(settings)(kind, VARIABLES).text
    found = [word for word in text.split() if word.startswith("http")]
    return found[0] if found else ""


@pytest.mark.parametrize(
    ("kind", "page"),
    [
        (MessageKind.ACCOUNT_CONFIRMATION, "confirmregistration.do"),
        (MessageKind.PASSWORD_RESET, "confirmrecovery.do"),
    ],
)
def test_mails_link_to_the_pages_with_legacy_parameters(kind: MessageKind, page: str) -> None:
    link = _link(Settings(public_url="https://id.example.test/"), kind)
    assert link.startswith(f"https://id.example.test/accountrecoveryendpoint/{page}?")
    assert query_of(link) == {
        "confirmation": CODE,
        "userstoredomain": "PRIMARY",
        "username": "alex",
        "tenantdomain": "acme.test",
    }


def test_link_base_url_still_overrides() -> None:
    settings = Settings(public_url="https://id.example.test", link_base_url="https://own.test/x")
    link = _link(settings, MessageKind.PASSWORD_RESET)
    assert link.startswith("https://own.test/x?") and query_of(link)["code"] == CODE


def test_no_link_without_a_public_url_or_with_the_pages_off() -> None:
    assert _link(Settings(), MessageKind.PASSWORD_RESET) == ""
    off = Settings(public_url="https://id.example.test", pages=False)
    assert _link(off, MessageKind.PASSWORD_RESET) == ""


def test_a_tenant_may_have_its_own_public_url(tmp_path: Path) -> None:
    (tmp_path / "acme.test").mkdir()
    (tmp_path / "acme.test" / "tenant.toml").write_text('public_url = "https://acme.example"\n')
    settings = Settings(public_url="https://id.example.test", templates_dir=str(tmp_path))
    link = _link(settings, MessageKind.ACCOUNT_CONFIRMATION)
    assert link.startswith("https://acme.example/accountrecoveryendpoint/confirmregistration.do?")


@pytest.mark.parametrize(
    ("host", "given", "expected"),
    [
        ("127.0.0.1", "", "http://127.0.0.1:8000"),
        ("::1", "", "http://[::1]:8000"),
        ("0.0.0.0", "", ""),
        ("127.0.0.1", "https://id.example.test", "https://id.example.test"),
    ],
)
def test_serve_links_mails_to_its_own_address(host: str, given: str, expected: str) -> None:
    from recovery_soap.cli.serve import _with_public_url

    assert _with_public_url(Settings(public_url=given), host, 8000).public_url == expected
