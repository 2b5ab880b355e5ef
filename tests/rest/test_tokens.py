"""POST /oauth2/token (RFC 6749), the JWKS, and every way a bearer token is refused (RFC 6750)."""

from __future__ import annotations

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from recovery_soap.core import scopes as S
from tests.conftest import LiveServer, unique
from tests.rest.support import (
    PASSWORD,
    SUBSCRIBER,
    active_user,
    bearer,
    oauth_client,
    service_token,
    token_response,
    user_token,
)
from tests.rest.tokens import (
    claims_of,
    header_of,
    hmac_with_public_key,
    signed_by_server,
    unsigned,
)
from tests.soap.accounts import new_tenant

PROTECTED = f"{SUBSCRIBER}/statistics"


def me(server: LiveServer, token: str) -> requests.Response:
    return requests.get(server.url + "/scim2/Me", headers=bearer(token), timeout=30)


def call_protected(server: LiveServer, token: str | None, **headers: str) -> requests.Response:
    sent = {**(bearer(token) if token else {}), **headers}
    return requests.post(server.url + PROTECTED, json={"type": "logins"}, headers=sent, timeout=30)


def jwks(server: LiveServer) -> KeySet:
    return KeySet.import_key_set(requests.get(server.url + "/oauth2/jwks", timeout=30).json())


# --- grants ---------------------------------------------------------------------------------


def test_client_credentials_token_is_a_signed_jwt_with_its_claims(rest_server: LiveServer) -> None:
    answer = token_response(rest_server, {"grant_type": "client_credentials"})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert set(body["scope"].split()) == set(S.ALL_SCOPES)
    decoded = jwt.decode(body["access_token"], jwks(rest_server), algorithms=["ES256"])
    claims = decoded.claims
    assert claims["iss"] == "urn:recovery-soap" and claims["aud"] == "recovery-soap"
    assert claims["sub"] == claims["client_id"] == rest_server.auth[0]
    assert claims["tenant"] == "carbon.super"
    assert claims["exp"] - claims["iat"] == 3600 and claims["jti"]
    assert decoded.header["alg"] == "ES256" and decoded.header["kid"]


def test_client_may_authenticate_in_the_body(rest_server: LiveServer) -> None:
    name, secret = rest_server.auth
    answer = requests.post(
        rest_server.url + "/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": name, "client_secret": secret},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def test_two_client_authentication_methods_at_once_are_refused(rest_server: LiveServer) -> None:
    name, secret = rest_server.auth
    answer = token_response(
        rest_server,
        {"grant_type": "client_credentials", "client_id": name, "client_secret": secret},
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "auth", [None, ("test-admin", "wrong-secret-000000"), ("nobody", "whatever-secret-123")]
)
def test_unauthenticated_client_gets_invalid_client(
    rest_server: LiveServer, auth: tuple[str, str] | None
) -> None:
    answer = requests.post(
        rest_server.url + "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=auth,
        timeout=30,
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert answer.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
        ({"grant_type": "refresh_token", "refresh_token": "x"}, "unsupported_grant_type"),
        ({"grant_type": "password", "username": "x"}, "invalid_request"),
    ],
)
def test_malformed_token_requests_get_rfc6749_errors(
    rest_server: LiveServer, form: dict[str, str], error: str
) -> None:
    answer = token_response(rest_server, form)
    assert answer.status_code == 400
    assert answer.json()["error"] == error


def test_requested_scopes_are_narrowed_to_the_allowed_ones(rest_server: LiveServer) -> None:
    client = oauth_client(rest_server, scopes=[S.SUBSCRIBE, S.USER_MGT_VIEW])
    answer = token_response(
        rest_server,
        {"grant_type": "client_credentials", "scope": f"{S.SUBSCRIBE} {S.USER_MGT_DELETE}"},
        auth=client,
    )
    assert answer.json()["scope"] == S.SUBSCRIBE
    default = token_response(rest_server, {"grant_type": "client_credentials"}, auth=client)
    assert set(default.json()["scope"].split()) == {S.SUBSCRIBE, S.USER_MGT_VIEW}


def test_no_grantable_scope_is_invalid_scope(rest_server: LiveServer) -> None:
    client = oauth_client(rest_server, scopes=[S.SUBSCRIBE])
    answer = token_response(
        rest_server, {"grant_type": "client_credentials", "scope": S.USER_MGT_DELETE}, auth=client
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_scope"


@pytest.mark.parametrize("grant", ["client_credentials", "password"])
def test_client_may_use_only_its_grants(rest_server: LiveServer, grant: str) -> None:
    other = "password" if grant == "client_credentials" else "client_credentials"
    client = oauth_client(rest_server, grants=[other])
    name = active_user(rest_server)
    answer = token_response(
        rest_server, {"grant_type": grant, "username": name, "password": PASSWORD}, auth=client
    )
    assert answer.status_code == 400 and answer.json()["error"] == "unauthorized_client"


def test_existing_service_accounts_get_no_oauth_access_by_the_migration(
    rest_server: LiveServer,
) -> None:
    """Accounts from before the migration have no scopes or grants until given some."""
    client = oauth_client(rest_server, scopes=[], grants=[])
    answer = token_response(rest_server, {"grant_type": "client_credentials"}, auth=client)
    assert answer.status_code == 400 and answer.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize("qualified", [False, True], ids=["name", "name@tenant"])
def test_password_grant_issues_a_user_token(rest_server: LiveServer, qualified: bool) -> None:
    tenant = new_tenant(rest_server) if qualified else "carbon.super"
    client = oauth_client(rest_server, tenant)
    name = active_user(rest_server, tenant)
    token = user_token(rest_server, f"{name}@{tenant}" if qualified else name, auth=client)
    claims = claims_of(token)
    with rest_server.app.env.uow(readonly=True) as uow:
        user = uow.users.get(uow.tenants.by_domain(tenant), name)
    assert user is not None
    # The user by its id (a later user of the same name is another subject) and credentials.
    assert claims["sub"] == str(user.id) and claims["user_version"]
    assert claims["tenant"] == tenant and claims["sub_type"] == "user"
    assert set(claims["scope"].split()) == set(S.USER_SCOPES)


def test_user_tokens_never_carry_user_management_scopes(rest_server: LiveServer) -> None:
    name = active_user(rest_server)
    answer = token_response(
        rest_server,
        {
            "grant_type": "password",
            "username": name,
            "password": PASSWORD,
            "scope": S.USER_MGT_CREATE,
        },
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_scope"


@pytest.mark.parametrize("problem", ["wrong password", "unknown user", "locked", "pending"])
def test_password_grant_refuses_bad_logins_alike(rest_server: LiveServer, problem: str) -> None:
    name = active_user(rest_server)
    password = PASSWORD
    if problem == "wrong password":
        password = "Wrong#Pass999"
    elif problem == "unknown user":
        name = unique("ghost")
    else:
        env = rest_server.app.env
        with env.uow() as uow:
            user = uow.users.get(uow.tenants.by_domain("carbon.super"), name)
            uow.users.set_lock(user, locked=True, pending=problem == "pending")
            uow.commit()
    answer = token_response(
        rest_server, {"grant_type": "password", "username": name, "password": password}
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert PASSWORD not in answer.text


def test_password_grant_for_a_user_of_another_tenant_is_refused(rest_server: LiveServer) -> None:
    tenant = new_tenant(rest_server)
    name = active_user(rest_server, tenant)
    client = oauth_client(rest_server)  # a carbon.super client, not SaaS
    answer = token_response(
        rest_server,
        {"grant_type": "password", "username": f"{name}@{tenant}", "password": PASSWORD},
        auth=client,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_password_grant_locks_the_user_after_repeated_failures(serve) -> None:
    server = serve(lockout_failures=3)
    name = active_user(server)
    for _ in range(3):
        wrong = token_response(
            server, {"grant_type": "password", "username": name, "password": "Wrong#Pass999"}
        )
        assert wrong.json()["error"] == "invalid_grant"
    right = token_response(
        server, {"grant_type": "password", "username": name, "password": PASSWORD}
    )
    assert right.status_code == 400 and "locked" in right.json()["error_description"]
    server.clock.advance(minutes=31)
    again = token_response(
        server, {"grant_type": "password", "username": name, "password": PASSWORD}
    )
    assert again.status_code == 200


def test_password_grant_is_rate_limited_per_address(serve) -> None:
    server = serve(limit_checks_per_address="3/hour")
    name = active_user(server)
    form = {"grant_type": "password", "username": name, "password": PASSWORD}
    for _ in range(3):
        assert token_response(server, form).status_code == 200
    limited = token_response(server, form)
    assert limited.status_code == 429 and limited.json()["error"] == "slow_down"


def test_repeated_client_authentication_failures_are_answered_429(serve) -> None:
    server = serve(limit_auth_failures_per_address="2/minute")
    for _ in range(2):
        bad = token_response(
            server, {"grant_type": "client_credentials"}, auth=("test-admin", "wrong-000000000")
        )
        assert bad.status_code == 401
    limited = token_response(server, {"grant_type": "client_credentials"})
    assert limited.status_code == 429


def test_token_lifetime_is_configurable(serve) -> None:
    server = serve(token_minutes=5)
    answer = token_response(server, {"grant_type": "client_credentials"})
    assert answer.json()["expires_in"] == 300
    claims = claims_of(answer.json()["access_token"])
    assert claims["exp"] - claims["iat"] == 300


# --- verification ------------------------------------------------------------------------------


def test_valid_token_is_accepted(rest_server: LiveServer) -> None:
    assert call_protected(rest_server, service_token(rest_server)).status_code == 200


def test_missing_token_is_401_with_a_bare_challenge(rest_server: LiveServer) -> None:
    answer = call_protected(rest_server, None)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="recovery-soap"'
    assert answer.json()["success"] is False


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda s: "not-a-jwt", id="malformed"),
        pytest.param(lambda s: "a.b.c", id="garbage-segments"),
        pytest.param(lambda s: service_token(s)[:-6] + "AAAAAA", id="tampered-signature"),
        pytest.param(
            lambda s: ".".join(
                [
                    service_token(s).split(".")[0],
                    signed_by_server(s, tenant="x").split(".")[1],
                    service_token(s).split(".")[2],
                ]
            ),
            id="tampered-claims",
        ),
        pytest.param(unsigned, id="alg-none"),
        pytest.param(hmac_with_public_key, id="hs256-with-public-key"),
        pytest.param(lambda s: signed_by_server(s, aud="someone-else"), id="wrong-audience"),
        pytest.param(lambda s: signed_by_server(s, iss="https://evil.test"), id="wrong-issuer"),
        pytest.param(lambda s: signed_by_server(s, exp=None), id="no-expiry"),
        pytest.param(lambda s: signed_by_server(s, tenant="nowhere.test"), id="unknown-tenant"),
        pytest.param(
            lambda s: signed_by_server(s, nbf=int(s.clock.now().timestamp()) + 10**6),
            id="not-yet-valid",
        ),
    ],
)
def test_bad_tokens_are_refused_with_invalid_token(rest_server: LiveServer, forge) -> None:
    answer = call_protected(rest_server, forge(rest_server))
    assert answer.status_code == 401
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge
    assert answer.headers["Content-Type"].startswith("application/json")


def test_basic_credentials_are_not_a_bearer_token(rest_server: LiveServer) -> None:
    answer = requests.post(rest_server.url + PROTECTED, json={}, auth=rest_server.auth, timeout=30)
    assert answer.status_code == 401


def test_expired_token_is_refused(rest_server: LiveServer) -> None:
    token = service_token(rest_server)
    rest_server.clock.advance(minutes=59)
    assert call_protected(rest_server, token).status_code == 200
    rest_server.clock.advance(minutes=2)
    answer = call_protected(rest_server, token)
    assert answer.status_code == 401 and "expired" in answer.headers["WWW-Authenticate"]


def test_under_scoped_token_is_403_insufficient_scope(rest_server: LiveServer) -> None:
    token = service_token(rest_server, scopes=[S.USER_MGT_VIEW])
    answer = call_protected(rest_server, token)
    assert answer.status_code == 403
    challenge = answer.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="apim:subscribe"' in challenge


@pytest.mark.parametrize("change", ["locked", "deleted"])
def test_user_token_dies_with_the_users_access(rest_server: LiveServer, change: str) -> None:
    name = active_user(rest_server)
    token = user_token(rest_server, name)
    assert me(rest_server, token).status_code == 200
    env = rest_server.app.env
    with env.uow() as uow:
        user = uow.users.get(uow.tenants.by_domain("carbon.super"), name)
        if change == "locked":
            uow.users.set_lock(user, locked=True, pending=False)
        else:
            uow.users.delete(user)
        uow.commit()
    assert me(rest_server, token).status_code == 401


# --- keys ----------------------------------------------------------------------------------


def test_jwks_publishes_public_keys_only(rest_server: LiveServer) -> None:
    answer = requests.get(rest_server.url + "/oauth2/jwks", timeout=30)
    assert answer.status_code == 200
    keys = answer.json()["keys"]
    assert keys and all("d" not in k and k["kty"] == "EC" and k["alg"] == "ES256" for k in keys)
    assert header_of(service_token(rest_server))["kid"] in {k["kid"] for k in keys}


def test_rotation_keeps_old_tokens_valid_until_they_expire(rest_server: LiveServer) -> None:
    old = service_token(rest_server)
    old_kid = header_of(old)["kid"]
    new_kid = rest_server.app.rest.keys.rotate()
    new = service_token(rest_server)
    assert header_of(new)["kid"] == new_kid != old_kid
    published = {k["kid"] for k in requests.get(rest_server.url + "/oauth2/jwks").json()["keys"]}
    assert {old_kid, new_kid} <= published
    assert call_protected(rest_server, old).status_code == 200
    assert call_protected(rest_server, new).status_code == 200
    rest_server.clock.advance(minutes=61)
    rest_server.app.rest.keys.refresh()
    published = {k["kid"] for k in requests.get(rest_server.url + "/oauth2/jwks").json()["keys"]}
    assert old_kid not in published and new_kid in published
    assert call_protected(rest_server, old).status_code == 401


def test_keys_rotate_command_reaches_a_running_server(
    rest_server: LiveServer, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.importer.support import cli_json

    monkeypatch.setenv("RECOVERY_DATABASE_URL", database_url)
    before = header_of(service_token(rest_server))["kid"]
    rotated = cli_json("keys", "rotate")["kid"]
    assert rotated != before
    rest_server.app.rest.keys.refresh()
    assert header_of(service_token(rest_server))["kid"] == rotated


def test_tokens_and_passwords_never_reach_the_log(
    rest_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    name = active_user(rest_server)
    caplog.set_level("DEBUG")
    token = user_token(rest_server, name)
    call_protected(rest_server, token)
    token_response(
        rest_server, {"grant_type": "password", "username": name, "password": "Wrong#Pass999"}
    )
    text = "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    assert "rest call" in text  # the records were captured
    for secret in (token, token.split(".")[2], PASSWORD, "Wrong#Pass999", rest_server.auth[1]):
        assert secret not in text


@pytest.mark.parametrize("saas", [True, False])
def test_all_tenants_client_logs_users_of_any_tenant_in_only_in_saas_mode(
    serve, saas: bool
) -> None:
    from tests.soap.accounts import service_account

    server = serve(saas_mode=saas)
    tenant = new_tenant(server)
    name = active_user(server, tenant)
    client = service_account(server, "carbon.super", all_tenants=True)
    answer = token_response(
        server,
        {"grant_type": "password", "username": f"{name}@{tenant}", "password": PASSWORD},
        auth=client,
    )
    if saas:
        assert answer.status_code == 200
        assert claims_of(answer.json()["access_token"])["tenant"] == tenant
    else:
        assert answer.json()["error"] == "invalid_grant"


def test_revoking_rotation_kills_the_old_keys_tokens(
    rest_server: LiveServer, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.importer.support import cli_json

    monkeypatch.setenv("RECOVERY_DATABASE_URL", database_url)
    old = service_token(rest_server)
    assert call_protected(rest_server, old).status_code == 200
    rotated = cli_json("keys", "rotate", "--revoke-previous")["kid"]
    rest_server.app.rest.keys.refresh()
    published = {k["kid"] for k in requests.get(rest_server.url + "/oauth2/jwks").json()["keys"]}
    assert published == {rotated}
    assert call_protected(rest_server, old).status_code == 401
    assert call_protected(rest_server, service_token(rest_server)).status_code == 200
