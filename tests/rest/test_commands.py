"""The command line of the REST faces: OAuth scopes and grants of an account, key rotation and
listing, a tenant's self sign-up switch."""

from __future__ import annotations

import pytest
import zeep

from recovery_soap.core import scopes as S
from tests.conftest import LiveServer, unique
from tests.importer.support import cli, cli_json
from tests.importer.test_wso2_import import target_env
from tests.rest.support import active_user, subscriber_call, token_response
from tests.soap.accounts import new_tenant


@pytest.fixture(autouse=True)
def _target(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    target_env(monkeypatch, database_url)


def add_account(*options: str) -> tuple[str, str]:
    name = unique("cli")
    made = cli_json("account", "add", name, *options)
    return name, str(made["password"])


def test_account_add_limits_scopes_and_grants(rest_server: LiveServer) -> None:
    client = add_account("--scope", S.SUBSCRIBE, "--scope", S.INTERNAL_LOGIN, "--grant", "password")
    name = active_user(rest_server)
    granted = token_response(
        rest_server,
        {"grant_type": "password", "username": name, "password": "Init#Pass123"},
        auth=client,
    )
    # A user token carries what the user may do to themselves, never apim:subscribe.
    assert set(granted.json()["scope"].split()) == {S.INTERNAL_LOGIN, S.OPENID}
    refused = token_response(rest_server, {"grant_type": "client_credentials"}, auth=client)
    assert refused.json()["error"] == "unauthorized_client"


def test_account_add_gives_only_what_it_is_given(rest_server: LiveServer) -> None:
    client = add_account()
    answer = token_response(rest_server, {"grant_type": "client_credentials"}, auth=client)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_scope"
    with pytest.raises(zeep.exceptions.Fault, match="not authorized"):
        rest_server.client(auth=client).getUserChallengeQuestionIds(
            username="anyone", confirmation="x"
        )


def test_account_add_refuses_an_unknown_scope() -> None:
    code, _, err = cli("account", "add", unique("cli"), "--scope", "admin:everything")
    assert code != 0 and "Unknown scope: admin:everything" in err


def test_keys_rotate_and_list() -> None:
    first = cli_json("keys", "rotate")["kid"]
    second = cli_json("keys", "rotate")["kid"]
    listed = cli("keys", "list")[1]
    assert first in listed and second in listed and first != second
    assert '"d"' not in cli("keys", "list", "--json")[1]  # never a private key


def test_tenant_self_signup_switch(rest_server: LiveServer) -> None:
    tenant = new_tenant(rest_server)
    client = add_account("--tenant", tenant, "--permissions", "register,subscribe")
    token = token_response(rest_server, {"grant_type": "client_credentials"}, auth=client).json()
    invite = {"username": f"{unique()}@example.test"}
    assert cli("tenant", "set", tenant, "--self-signup", "off")[0] == 0
    refused = subscriber_call(rest_server, "", invite, token["access_token"])
    assert refused.json()["success"] is False
    assert cli("tenant", "set", tenant, "--self-signup", "on")[0] == 0
    allowed = subscriber_call(rest_server, "", invite, token["access_token"])
    assert allowed.json()["success"] is True
