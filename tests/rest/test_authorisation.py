"""Regression tests of the authorisation model: an account's rights bound every face, and user
tokens end with their user's credentials (password change, lock, delete and re-create)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from recovery_soap.cli import main
from recovery_soap.core.claims import EMAIL
from tests.conftest import LiveServer, unique
from tests.rest.support import (
    PASSWORD,
    active_user,
    bearer,
    service_token,
    subscriber_call,
    token_response,
    user_token,
)
from tests.rest.test_cross_face import api_reset
from tests.soap.flows import recover_by_mail

SCIM_JSON = "application/scim+json"
NEW = "New#Pass4567"


def cli(server: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: Any, *argv: str) -> Any:
    """Run a ``recovery-soap`` command on the live server's database; its --json answer."""
    monkeypatch.setenv("RECOVERY_DATABASE_URL", server.app.settings.database_url)
    monkeypatch.setenv("RECOVERY_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("RECOVERY_ARGON2_TIME_COST", "1")
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out) if out.strip().startswith(("{", "[")) else out


def new_account(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: Any, *options: str
) -> tuple[str, str]:
    name = unique("app")
    answer = cli(server, monkeypatch, capsys, "account", "add", name, *options)
    return name, answer["password"]


def user_id(server: LiveServer, name: str, tenant: str = "carbon.super") -> int:
    with server.app.env.uow(readonly=True) as uow:
        found = uow.users.get(uow.tenants.by_domain(tenant), name)
    assert found is not None
    return found.id


def me(server: LiveServer, token: str) -> requests.Response:
    return requests.get(server.url + "/scim2/Me", headers=bearer(token), timeout=30)


def patch_password(server: LiveServer, token: str, uid: int, password: str) -> requests.Response:
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "password", "value": password}],
    }
    return requests.patch(
        f"{server.url}/scim2/Users/{uid}",
        json=body,
        headers={**bearer(token), "Content-Type": SCIM_JSON},
        timeout=30,
    )


# --- finding 1: permissions bound every face ---------------------------------------------------


def test_a_view_only_account_gets_no_token_and_cannot_set_a_password(
    rest_server: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    viewer = new_account(rest_server, monkeypatch, capsys, "--permissions", "view")
    answer = token_response(rest_server, {"grant_type": "client_credentials"}, auth=viewer)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_scope"
    name = active_user(rest_server)
    for scope in ("internal_user_mgt_update", "apim:subscribe", "internal_login"):
        refused = token_response(
            rest_server, {"grant_type": "client_credentials", "scope": scope}, auth=viewer
        )
        assert refused.status_code == 400, (scope, refused.text)
    password = token_response(
        rest_server,
        {"grant_type": "password", "username": name, "password": PASSWORD},
        auth=viewer,
    )
    assert password.status_code == 400, password.text


def test_a_subscribe_token_acts_with_the_accounts_real_rights(
    rest_server: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    viewer = new_account(
        rest_server, monkeypatch, capsys, "--permissions", "view", "--scope", "apim:subscribe"
    )
    token = service_token(rest_server, ["apim:subscribe"], auth=viewer)
    invited = subscriber_call(rest_server, "", {"username": f"{unique()}@example.test"}, token)
    assert invited.status_code == 403, invited.text
    assert invited.json()["success"] is False
    name = active_user(rest_server)
    reset = subscriber_call(rest_server, "reset-password/initiate", {"email": name}, token)
    assert reset.status_code == 403, reset.text
    rest_server.deliver_mail()
    assert rest_server.smtp.mailbox.for_address(f"{name}@example.test") == []


def test_an_update_only_account_cannot_read_or_delete(
    rest_server: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    updater = new_account(rest_server, monkeypatch, capsys, "--scope", "internal_user_mgt_update")
    token = service_token(rest_server, auth=updater)
    name = active_user(rest_server)
    uid = user_id(rest_server, name)
    assert patch_password(rest_server, token, uid, "New#Pass4567").status_code == 200
    read = requests.get(f"{rest_server.url}/scim2/Users/{uid}", headers=bearer(token), timeout=30)
    assert read.status_code == 403
    gone = requests.delete(
        f"{rest_server.url}/scim2/Users/{uid}", headers=bearer(token), timeout=30
    )
    assert gone.status_code == 403


# --- finding 3: user tokens end with the user's credentials ------------------------------------


def change_password(server: LiveServer, face: str, name: str, token: str) -> None:
    """A new password for ``name`` through one face (``token``: the user's own)."""
    if face == "scim":
        changed = patch_password(server, service_token(server), user_id(server, name), NEW)
        assert changed.status_code == 200, changed.text
    elif face == "me":
        own = user_id(server, name)
        changed = patch_password(server, token, own, NEW)  # /Users is for services: refused
        assert changed.status_code == 403
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "password", "value": NEW}],
        }
        changed = requests.patch(
            server.url + "/scim2/Me",
            json=body,
            headers={**bearer(token), "Content-Type": SCIM_JSON},
            timeout=30,
        )
        assert changed.status_code == 200, changed.text
    elif face == "soap":
        recover_by_mail(server, server.client(), name, NEW)
    else:
        api_reset(server, service_token(server, ["apim:subscribe"]), name, NEW)


@pytest.mark.parametrize("face", ["scim", "me", "soap", "subscriber"])
def test_a_user_token_ends_when_the_password_changes(rest_server: LiveServer, face: str) -> None:
    name = active_user(rest_server)
    token = user_token(rest_server, name)
    assert me(rest_server, token).status_code == 200
    change_password(rest_server, face, name, token)
    assert me(rest_server, token).status_code == 401
    assert me(rest_server, user_token(rest_server, name, NEW)).status_code == 200


def test_a_user_token_ends_with_a_lock_even_after_the_unlock(
    rest_server: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    name = active_user(rest_server)
    token = user_token(rest_server, name)
    assert me(rest_server, token).status_code == 200
    cli(rest_server, monkeypatch, capsys, "user", "lock", name)
    assert me(rest_server, token).status_code == 401
    cli(rest_server, monkeypatch, capsys, "user", "unlock", name)
    assert me(rest_server, token).status_code == 401
    assert me(rest_server, user_token(rest_server, name)).status_code == 200


def test_a_user_token_does_not_reach_a_new_user_of_the_same_name(
    rest_server: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    name = active_user(rest_server)
    token = user_token(rest_server, name)
    assert me(rest_server, token).status_code == 200
    cli(rest_server, monkeypatch, capsys, "user", "delete", name)
    assert me(rest_server, token).status_code == 401
    env = rest_server.app.env
    from recovery_soap.core import admin

    with env.uow() as uow:
        admin.add_user(env, uow, "carbon.super", name, PASSWORD, {EMAIL: "new@example.test"})
        uow.commit()
    assert me(rest_server, token).status_code == 401


# --- the command line's writes are audited use cases ------------------------------------------


def test_the_command_lines_user_writes_are_audited(
    rest_server: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    name = active_user(rest_server)
    answer = "http://wso2.org/claims/challengeQuestion1=City where you were born ?!Paris"
    cli(rest_server, monkeypatch, capsys, "user", "set-answers", name, "--answer", answer)
    cli(rest_server, monkeypatch, capsys, "user", "lock", name)
    cli(rest_server, monkeypatch, capsys, "user", "unlock", name)
    cli(rest_server, monkeypatch, capsys, "user", "delete", name)
    events = cli(rest_server, monkeypatch, capsys, "audit", "list", "--user", name)
    seen = [(e["event"], e["caller"]) for e in reversed(events)]
    assert seen[-4:] == [
        ("answers_set", "command-line"),
        ("user_locked", "command-line"),
        ("user_unlocked", "command-line"),
        ("user_deleted", "command-line"),
    ]
