"""A token does not outlive the service account that obtained it, nor keep what the account
lost: the account deleted (or re-created, or given a new secret) ends its tokens with 401
invalid_token, a scope withdrawn from it is refused with 403 insufficient_scope, a grant
withdrawn ends the tokens of that grant; other accounts' tokens keep working. The changes are
made with the command line, against the running server's database, and take effect at once."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests

from recovery_soap.core import scopes as S
from tests.conftest import LiveServer, unique
from tests.importer.support import cli, cli_json
from tests.importer.test_wso2_import import target_env
from tests.rest.support import (
    active_user,
    bearer,
    oauth_client,
    service_token,
    token_response,
    user_token,
)
from tests.rest.test_tokens import call_protected
from tests.soap.accounts import new_tenant

CLIENT_SCOPES = [S.SUBSCRIBE, S.USER_MGT_LIST, S.INTERNAL_LOGIN]


@pytest.fixture(autouse=True)
def _target(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    target_env(monkeypatch, database_url)


def scim(server: LiveServer, path: str, token: str) -> requests.Response:
    return requests.get(server.url + f"/scim2/{path}", headers=bearer(token), timeout=30)


def tokens_of(server: LiveServer, client: tuple[str, str]) -> dict[str, str]:
    """A client-credentials token and a user's password-grant token, both of ``client``."""
    return {
        "client": service_token(server, auth=client),
        "user": user_token(server, active_user(server), auth=client),
    }


def works(server: LiveServer, kind: str, token: str) -> bool:
    """Whether the token is accepted for what its kind is for (statistics and SCIM Users for
    a service token, SCIM Me for a user token, which carries only what the user may do to
    themselves)."""
    if kind == "user":
        return scim(server, "Me", token).status_code == 200
    answers = [call_protected(server, token), scim(server, "Users", token)]
    return all(a.status_code == 200 for a in answers)


def assert_invalid_token(answer: requests.Response) -> None:
    assert answer.status_code == 401, answer.text
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_tokens_of_a_deleted_account_stop_working_at_once(rest_server: LiveServer) -> None:
    doomed = oauth_client(rest_server, scopes=CLIENT_SCOPES)
    kept = oauth_client(rest_server, scopes=CLIENT_SCOPES)
    doomed_tokens, kept_tokens = tokens_of(rest_server, doomed), tokens_of(rest_server, kept)
    assert all(works(rest_server, kind, t) for kind, t in doomed_tokens.items())
    assert cli_json("account", "delete", doomed[0]) == {"name": doomed[0], "deleted": True}
    for token in doomed_tokens.values():
        assert_invalid_token(call_protected(rest_server, token))
    assert_invalid_token(scim(rest_server, "Users", doomed_tokens["client"]))
    assert_invalid_token(scim(rest_server, "Me", doomed_tokens["user"]))
    assert all(works(rest_server, kind, t) for kind, t in kept_tokens.items())
    assert works(rest_server, "client", service_token(rest_server))  # the fixture's account


def test_a_deleted_account_obtains_no_new_token(rest_server: LiveServer) -> None:
    client = oauth_client(rest_server)
    assert cli("account", "delete", client[0])[0] == 0
    answer = token_response(rest_server, {"grant_type": "client_credentials"}, auth=client)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_deleting_an_unknown_account_fails() -> None:
    code, _, err = cli("account", "delete", unique("nobody"))
    assert code != 0 and "No service account named" in err


@pytest.mark.parametrize("kind", ["client", "user"])
def test_a_withdrawn_scope_is_refused_and_the_kept_ones_still_work(
    rest_server: LiveServer, kind: str
) -> None:
    client = oauth_client(rest_server, scopes=CLIENT_SCOPES)
    token = tokens_of(rest_server, client)[kind]
    bystander = tokens_of(rest_server, oauth_client(rest_server, scopes=CLIENT_SCOPES))[kind]
    kept = S.USER_MGT_LIST if kind == "client" else S.INTERNAL_LOGIN
    changed = cli_json("account", "set", client[0], "--scope", kept)
    assert kept in changed["scopes"] and S.SUBSCRIBE not in changed["scopes"]
    refused = call_protected(rest_server, token)  # statistics needs apim:subscribe
    assert refused.status_code == 403, refused.text
    challenge = refused.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and f'scope="{S.SUBSCRIBE}"' in challenge
    assert scim(rest_server, "Users" if kind == "client" else "Me", token).status_code == 200
    assert works(rest_server, kind, bystander)
    # Given back, the scope the token was issued with is usable again (never more than that;
    # a user token never carries apim:subscribe).
    cli_json("account", "set", client[0], "--scope", kept, "--scope", S.SUBSCRIBE)
    assert call_protected(rest_server, token).status_code == (200 if kind == "client" else 403)


def test_withdrawing_every_scope_leaves_the_token_nothing(rest_server: LiveServer) -> None:
    client = oauth_client(rest_server, scopes=CLIENT_SCOPES)
    token = service_token(rest_server, auth=client)
    assert cli_json("account", "set", client[0], "--no-scopes")["scopes"] == []
    assert call_protected(rest_server, token).status_code == 403
    assert scim(rest_server, "Users", token).status_code == 403


@pytest.mark.parametrize(
    ("kind", "kept_grant"), [("client", "password"), ("user", "client_credentials")]
)
def test_a_withdrawn_grant_ends_the_tokens_it_gave(
    rest_server: LiveServer, kind: str, kept_grant: str
) -> None:
    client = oauth_client(rest_server, scopes=CLIENT_SCOPES)
    tokens = tokens_of(rest_server, client)
    assert cli_json("account", "set", client[0], "--grant", kept_grant)["grants"] == [kept_grant]
    assert_invalid_token(call_protected(rest_server, tokens[kind]))
    other = "user" if kind == "client" else "client"
    assert works(rest_server, other, tokens[other])


def test_a_new_secret_or_a_recreated_account_ends_the_older_tokens(
    rest_server: LiveServer,
) -> None:
    name = unique("cli")
    first = cli_json("account", "add", name, "--scope", S.SUBSCRIBE)["password"]
    old = service_token(rest_server, auth=(name, first))
    assert call_protected(rest_server, old).status_code == 200
    second = cli_json("account", "add", name, "--scope", S.SUBSCRIBE)["password"]  # new secret
    assert_invalid_token(call_protected(rest_server, old))
    newer = service_token(rest_server, auth=(name, second))
    assert call_protected(rest_server, newer).status_code == 200
    assert cli("account", "delete", name)[0] == 0
    third = cli_json("account", "add", name, "--scope", S.SUBSCRIBE)["password"]  # another
    assert_invalid_token(call_protected(rest_server, newer))
    assert call_protected(rest_server, service_token(rest_server, auth=(name, third))).ok


def test_an_account_moved_to_another_tenant_loses_its_old_tenants_tokens(
    rest_server: LiveServer,
) -> None:
    client = oauth_client(rest_server, scopes=CLIENT_SCOPES)
    tokens = tokens_of(rest_server, client)
    env = rest_server.app.env
    other = new_tenant(rest_server)
    with env.uow() as uow:
        account = uow.accounts.get(client[0])
        assert account is not None
        uow.accounts.put(replace(account, tenant=uow.tenants.by_domain(other)))
        uow.commit()
    for token in tokens.values():
        assert_invalid_token(call_protected(rest_server, token))


def test_account_set_keeps_the_secret_and_refuses_unknown_names(rest_server: LiveServer) -> None:
    client = oauth_client(rest_server, scopes=CLIENT_SCOPES)
    cli_json("account", "set", client[0], "--scope", S.SUBSCRIBE)
    token = service_token(rest_server, auth=client)  # the old secret still authenticates
    assert call_protected(rest_server, token).status_code == 200
    assert cli("account", "set", client[0])[0] == 2  # nothing to change
    code, _, err = cli("account", "set", unique("nobody"), "--scope", S.SUBSCRIBE)
    assert code != 0 and "No service account named" in err
    code, _, err = cli("account", "set", client[0], "--scope", "admin:everything")
    assert code != 0 and "Unknown scope: admin:everything" in err


def test_an_all_tenants_clients_user_token_keeps_working_in_another_tenant(serve) -> None:
    """SaaS mode: the account's tenant is not the token's, and that is no reason to refuse."""
    from tests.rest.support import PASSWORD
    from tests.soap.accounts import service_account

    server = serve(saas_mode=True)
    tenant = new_tenant(server)
    client = service_account(server, "carbon.super", all_tenants=True)
    token = user_token(server, f"{active_user(server, tenant)}@{tenant}", PASSWORD, auth=client)
    assert scim(server, "Me", token).status_code == 200
    assert cli("account", "delete", client[0])[0] == 0
    assert_invalid_token(scim(server, "Me", token))
