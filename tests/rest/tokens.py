"""Forging and inspecting tokens for the rejection tests: signed with the server's own key (to
vary one claim at a time), with a foreign key, with no signature, with an HMAC."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from joserfc import jwt
from joserfc.jwk import OctKey

from recovery_soap.core import oauth
from tests.conftest import LiveServer


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def header_of(token: str) -> dict[str, Any]:
    part = token.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def client_version(server: LiveServer, name: str) -> str:
    """The version claim of the account's tokens (as the token endpoint writes it)."""
    env = server.app.env
    with env.uow(readonly=True) as uow:
        account = uow.accounts.get(name)
    assert account is not None
    return oauth.client_version(env, account)


def own_claims(server: LiveServer, **changes: Any) -> dict[str, Any]:
    now = int(time.time() + server.clock.offset.total_seconds())
    claims = {
        "iss": server.app.settings.token_issuer,
        "sub": server.auth[0],
        "aud": server.app.settings.token_audience,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "scope": "apim:subscribe",
        "client_id": server.auth[0],
        "tenant": "carbon.super",
        "sub_type": "client",
        "client_version": client_version(server, server.auth[0]),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def signed_by_server(server: LiveServer, **changes: Any) -> str:
    """A token signed with the server's current key, with some claims changed."""
    kid, key = server.app.rest.keys.signing_key()
    return jwt.encode({"alg": "ES256", "kid": kid}, own_claims(server, **changes), key)


def unsigned(server: LiveServer) -> str:
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(own_claims(server))}."


def hmac_with_public_key(server: LiveServer) -> str:
    """The algorithm-confusion attack: HS256 keyed with the published public key."""
    kid, _ = server.app.rest.keys.signing_key()
    public = json.dumps(server.app.rest.keys.jwks()["keys"][0]).encode()
    return jwt.encode({"alg": "HS256", "kid": kid}, own_claims(server), OctKey.import_key(public))
