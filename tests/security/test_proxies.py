"""X-Forwarded-* from trusted proxies only: the client address is the rightmost X-Forwarded-For
entry that is not a trusted proxy, so a value a client makes up never dodges a per-address
limit."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from recovery_soap.config import Settings, SettingsError
from recovery_soap.edge import base_url, client_address, scheme_of
from recovery_soap.forwarded import TrustedProxies
from tests.served import served
from tests.support import SERVICE_PATH, envelope, post_envelope

PROXIES = TrustedProxies.from_settings(Settings(trusted_proxies="10.0.0.0/8, 192.0.2.1"))
WRONG = ("nobody", "not-the-secret-0123456789")


def environ(peer: str, **headers: str) -> dict[str, Any]:
    return {
        "REMOTE_ADDR": peer,
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "internal:8000",
        **{
            f"HTTP_X_FORWARDED_{name.upper().rstrip('_')}": value for name, value in headers.items()
        },
    }


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not a proxy: the header is ignored
        ("192.0.2.1", "198.51.100.1", "198.51.100.1"),
        ("192.0.2.1", "made-up, 198.51.100.1", "198.51.100.1"),  # the client wrote "made-up"
        ("10.0.0.2", "made-up, 198.51.100.1, 10.0.0.7", "198.51.100.1"),  # two proxies
        ("10.0.0.2", "10.0.0.9, 10.0.0.7", "10.0.0.9"),  # every hop a proxy: the farthest
        ("10.0.0.2", "", "10.0.0.2"),
        ("127.0.0.1", "198.51.100.1", "127.0.0.1"),  # loopback is not on this list
    ],
)
def test_client_address_is_the_rightmost_untrusted_entry(
    peer: str, forwarded_for: str, client: str
) -> None:
    assert client_address(environ(peer, for_=forwarded_for), PROXIES) == client


def test_scheme_and_host_come_only_from_a_trusted_proxy() -> None:
    headers = {"proto": "https", "host": "id.example.org"}
    assert base_url(environ("203.0.113.9", **headers), PROXIES) == "http://internal:8000"
    assert base_url(environ("192.0.2.1", **headers), PROXIES) == "https://id.example.org"
    # Two proxies that each append: the scheme the client used is the one of the outer hop.
    chained = environ("10.0.0.2", for_="198.51.100.1, 10.0.0.7", proto="https, http")
    assert scheme_of(chained, PROXIES) == "https"
    made_up = environ("10.0.0.2", for_="198.51.100.1", proto="https, http")
    assert scheme_of(made_up, PROXIES) == "http"


def test_trust_proxy_alone_trusts_loopback_only() -> None:
    legacy = TrustedProxies.from_settings(Settings(trust_proxy=True))
    assert client_address(environ("127.0.0.1", for_="198.51.100.1"), legacy) == "198.51.100.1"
    assert client_address(environ("10.0.0.2", for_="198.51.100.1"), legacy) == "10.0.0.2"
    named = TrustedProxies.from_settings(Settings(trust_proxy=True, trusted_proxies="10.0.0.2"))
    assert client_address(environ("127.0.0.1", for_="198.51.100.1"), named) == "127.0.0.1"


@pytest.mark.parametrize("bad", ["10.0.0.300", "proxy.example.org", "10.0.0.0/33"])
def test_a_bad_proxy_entry_is_a_settings_error(bad: str) -> None:
    with pytest.raises(SettingsError, match="trusted_proxies"):
        Settings(trusted_proxies=f"10.0.0.1,{bad}")


def _failed_login(app: Any, peer: str, forwarded_for: str) -> str:
    """A SOAP call with wrong credentials, straight into the WSGI app from ``peer``."""
    body = envelope("getAllChallengeQuestions").encode()
    request = {
        **environ(peer, for_=forwarded_for),
        "REQUEST_METHOD": "POST",
        "PATH_INFO": SERVICE_PATH,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "text/xml; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_AUTHORIZATION": "Basic bm9ib2R5Ondyb25n",
    }
    status: list[str] = []
    b"".join(app(request, lambda s, h, e=None: status.append(s)))
    return status[0]


def test_made_up_addresses_from_a_client_do_not_dodge_the_limit(serve) -> None:
    server = serve(trusted_proxies="192.0.2.1", limit_auth_failures_per_address="3/minute")
    peer = f"203.0.113.{uuid.uuid4().int % 250}"
    statuses = [_failed_login(server.app, peer, f"198.51.100.{i}, 10.9.8.{i}") for i in range(5)]
    assert statuses[:3] == ["401 Unauthorized"] * 3
    assert statuses[3:] == ["429 Too Many Requests"] * 2


def test_made_up_addresses_behind_a_trusted_proxy_do_not_dodge_the_limit(serve) -> None:
    server = serve(trusted_proxies="192.0.2.1", limit_auth_failures_per_address="3/minute")
    client = f"198.51.100.{uuid.uuid4().int % 250}"
    statuses = [_failed_login(server.app, "192.0.2.1", f"10.9.8.{i}, {client}") for i in range(5)]
    assert statuses[3:] == ["429 Too Many Requests"] * 2


def test_served_with_trust_proxy_a_made_up_entry_does_not_dodge_the_limit(
    database_url: str, tmp_path: Path
) -> None:
    """`recovery-soap serve` with the deprecated trust_proxy (a proxy on the same host): each
    request names a new made-up address to the left of the one the proxy appended."""
    with served(
        database_url, tmp_path, trust_proxy="true", limit_auth_failures_per_address="3/minute"
    ) as server:
        statuses = [
            post_envelope(
                server.url,
                envelope("getAllChallengeQuestions"),
                auth=WRONG,
                headers={"X-Forwarded-For": f"{uuid.uuid4()}, 198.51.100.77"},
            ).status_code
            for _ in range(5)
        ]
        assert requests.get(server.url + "/healthz", timeout=10).ok
    assert statuses == [401, 401, 401, 429, 429]
