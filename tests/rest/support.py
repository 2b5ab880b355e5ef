"""Helpers for the REST tests (SCIM's too): tokens over real HTTP, users made through the core."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import requests

from recovery_soap.core import admin
from recovery_soap.core.claims import EMAIL, GIVEN_NAME
from tests.conftest import LiveServer, unique
from tests.soap.accounts import service_account

PASSWORD = "Init#Pass123"
TOKEN_PATH = "/oauth2/token"
SUBSCRIBER = "/api/am/user/subscriber"


def token_response(
    server: LiveServer,
    form: Mapping[str, str],
    *,
    auth: tuple[str, str] | None = None,
) -> requests.Response:
    """POST /oauth2/token with HTTP Basic client authentication (the fixture's account)."""
    return requests.post(
        server.url + TOKEN_PATH, data=dict(form), auth=auth or server.auth, timeout=30
    )


def _scope(scopes: Iterable[str] | None) -> dict[str, str]:
    return {"scope": " ".join(scopes)} if scopes is not None else {}


def service_token(
    server: LiveServer,
    scopes: Iterable[str] | None = None,
    *,
    auth: tuple[str, str] | None = None,
) -> str:
    """A client-credentials token for the fixture's service account (all allowed scopes when
    ``scopes`` is None)."""
    answer = token_response(
        server, {"grant_type": "client_credentials", **_scope(scopes)}, auth=auth
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def user_token(
    server: LiveServer,
    username: str,
    password: str = PASSWORD,
    scopes: Iterable[str] | None = None,
    *,
    auth: tuple[str, str] | None = None,
) -> str:
    """A password-grant token for ``username`` (``name`` or ``name@tenant``)."""
    answer = token_response(
        server,
        {"grant_type": "password", "username": username, "password": password, **_scope(scopes)},
        auth=auth,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def active_user(
    server: LiveServer,
    tenant_domain: str = "carbon.super",
    password: str = PASSWORD,
    claims: Mapping[str, str] | None = None,
) -> str:
    """A new confirmed user with an e-mail address and given name, made through the core."""
    name = unique()
    env = server.app.env
    with env.uow() as uow:
        admin.add_user(
            env,
            uow,
            tenant_domain,
            name,
            password,
            {EMAIL: f"{name}@example.test", GIVEN_NAME: "Test", **(claims or {})},
        )
        uow.commit()
    return name


def oauth_client(
    server: LiveServer,
    tenant_domain: str = "carbon.super",
    *,
    scopes: Iterable[str] | None = None,
    grants: Iterable[str] | None = None,
) -> tuple[str, str]:
    """Credentials of a new service account with chosen OAuth scopes and grants."""
    return service_account(server, tenant_domain, scopes=scopes, grants=grants)


def subscriber_call(
    server: LiveServer, action: str, body: Any, token: str | None
) -> requests.Response:
    path = f"{SUBSCRIBER}/{action}" if action else f"{SUBSCRIBER}/"
    headers = bearer(token) if token else {}
    return requests.post(server.url + path, json=body, headers=headers, timeout=30)
