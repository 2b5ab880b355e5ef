"""Tokens of an external OpenID provider, trusted through its JWKS served here on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from tests.conftest import LiveServer
from tests.rest.support import active_user, bearer

ISSUER = "https://idp.example.test/realms/acme"
AUDIENCE = "recovery-api"


class Provider:
    """A JWKS endpoint on loopback, counting how often it is fetched."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "idp-1", "alg": "RS256"})
        self.fetches = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server hook name
                provider.fetches += 1
                body = json.dumps({"keys": [provider.key.as_dict(private=False)]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def token(self, username: str, **changes: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": uuid.uuid4().hex,
            "preferred_username": username,
            "scope": "openid internal_login",
            "azp": "acme-portal",
            "iat": now,
            "exp": now + 300,
            **changes,
        }
        return jwt.encode({"alg": "RS256", "kid": "idp-1"}, claims, self.key)


@pytest.fixture
def provider() -> Iterator[Provider]:
    idp = Provider()
    idp.thread.start()
    try:
        yield idp
    finally:
        idp.server.shutdown()
        idp.server.server_close()


@pytest.fixture
def federated(serve, provider: Provider) -> LiveServer:
    return serve(
        oidc_jwks_url=provider.url,
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_username_claim="preferred_username",
    )


def statistics(server: LiveServer, token: str) -> requests.Response:
    """The token's own profile (a user token's call: SCIM /Me)."""
    return requests.get(server.url + "/scim2/Me", headers=bearer(token), timeout=30)


def test_external_token_of_a_known_user_is_accepted(
    federated: LiveServer, provider: Provider
) -> None:
    name = active_user(federated)
    answer = statistics(federated, provider.token(name))
    assert answer.status_code == 200, answer.text
    assert answer.json()["userName"] == name


def test_external_jwks_is_fetched_once_and_cached(
    federated: LiveServer, provider: Provider
) -> None:
    name = active_user(federated)
    for _ in range(3):
        assert statistics(federated, provider.token(name)).status_code == 200
    assert provider.fetches == 1


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"aud": "another-api"}, id="wrong-audience"),
        pytest.param({"exp": int(time.time()) - 10}, id="expired"),
        pytest.param({"preferred_username": None}, id="no-username"),
    ],
)
def test_bad_external_tokens_are_refused(
    federated: LiveServer, provider: Provider, changes: dict[str, Any]
) -> None:
    name = active_user(federated)
    claims = {k: v for k, v in changes.items() if v is not None}
    token = provider.token(name, **claims)
    if changes.get("preferred_username", "") is None:
        token = provider.token("", **claims)
    assert statistics(federated, token).status_code == 401


def test_external_token_for_an_unknown_user_is_refused(
    federated: LiveServer, provider: Provider
) -> None:
    assert statistics(federated, provider.token("nobody-known")).status_code == 401


def test_hmac_token_claiming_the_external_issuer_is_refused(
    federated: LiveServer, provider: Provider
) -> None:
    name = active_user(federated)
    public = json.dumps(provider.key.as_dict(private=False)).encode()
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "preferred_username": name,
        "scope": "apim:subscribe",
        "exp": int(time.time()) + 300,
    }
    forged = jwt.encode({"alg": "HS256", "kid": "idp-1"}, claims, OctKey.import_key(public))
    assert statistics(federated, forged).status_code == 401


def test_token_signed_by_another_key_is_refused(federated: LiveServer, provider: Provider) -> None:
    name = active_user(federated)
    impostor = RSAKey.generate_key(2048, parameters={"kid": "idp-1"})
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "preferred_username": name,
        "scope": "apim:subscribe",
        "exp": int(time.time()) + 300,
    }
    forged = jwt.encode({"alg": "RS256", "kid": "idp-1"}, claims, impostor)
    assert statistics(federated, forged).status_code == 401
