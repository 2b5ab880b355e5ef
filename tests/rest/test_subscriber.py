"""The subscriber-management API over real HTTP: every call, its documented answers, its errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from recovery_soap.core import scopes as S
from recovery_soap.core.claims import EMAIL, GIVEN_NAME
from recovery_soap.core.invitations import LAST_NAME
from recovery_soap.store.audit import audit_listing
from tests.conftest import LiveServer, unique
from tests.rest.support import (
    PASSWORD,
    active_user,
    oauth_client,
    service_token,
    subscriber_call,
    user_token,
)
from tests.soap.accounts import new_tenant

INVALID_LINK = (
    "The link you are trying to click or the provided confirmation code has expired or is not valid"
)
INVALID_KEY = (
    "Unable to retrieve user information. Invalid confirmation key provided. "
    "Please check the confirmation key and try again"
)
NEW_PASSWORD = "New#Pass456"


@pytest.fixture
def token(rest_server: LiveServer) -> str:
    return service_token(rest_server, scopes=[S.SUBSCRIBE])


def call(server: LiveServer, action: str, body, token: str | None):
    answer = subscriber_call(server, action, body, token)
    assert answer.headers["Content-Type"].startswith("application/json")
    return answer


def mailed_key(server: LiveServer, address: str) -> str:
    server.deliver_mail()
    return server.smtp.mailbox.last_code(address)


def audit_events(server: LiveServer, username: str) -> list[str]:
    with server.app.engine.connect() as connection:
        events = audit_listing(connection, username=username, limit=100)
    return [f"{e.event}:{e.outcome}" for e in events]


# --- authenticate ------------------------------------------------------------------------------


def test_authenticate_accepts_the_right_password(rest_server: LiveServer, token: str) -> None:
    name = active_user(rest_server)
    answer = call(rest_server, "authenticate", {"username": name, "password": PASSWORD}, token)
    assert answer.status_code == 200
    assert answer.json() == {
        "success": True,
        "authenticated": True,
        "message": "User is successfully authenticated.",
    }
    assert "login:success" in audit_events(rest_server, name)


def test_authenticate_takes_email_at_tenant(rest_server: LiveServer) -> None:
    tenant = new_tenant(rest_server)
    client = oauth_client(rest_server, tenant)
    name = f"{unique()}@example.test"
    env = rest_server.app.env
    from recovery_soap.core import admin

    with env.uow() as uow:
        admin.add_user(env, uow, tenant, name, PASSWORD, {EMAIL: name})
        uow.commit()
    answer = call(
        rest_server,
        "authenticate",
        {"username": f"{name}@{tenant}", "password": PASSWORD},
        service_token(rest_server, auth=client),
    )
    assert answer.json()["authenticated"] is True


@pytest.mark.parametrize("problem", ["wrong password", "unknown user", "locked", "empty"])
def test_authenticate_refuses_alike(rest_server: LiveServer, token: str, problem: str) -> None:
    name, password = active_user(rest_server), PASSWORD
    if problem == "wrong password":
        password = "Wrong#Pass999"
    elif problem == "unknown user":
        name = unique("ghost")
    elif problem == "empty":
        name, password = "", ""
    else:
        env = rest_server.app.env
        with env.uow() as uow:
            user = uow.users.get(uow.tenants.by_domain("carbon.super"), name)
            uow.users.set_lock(user, locked=True, pending=False)
            uow.commit()
    answer = call(rest_server, "authenticate", {"username": name, "password": password}, token)
    assert answer.status_code == 200
    assert answer.json() == {
        "success": True,
        "authenticated": False,
        "message": "Authentication data is invalid.",
    }


def test_authenticate_counts_failures_towards_the_lock(serve) -> None:
    server = serve(lockout_failures=2)
    token = service_token(server)
    name = active_user(server)
    for _ in range(2):
        call(server, "authenticate", {"username": name, "password": "Wrong#Pass999"}, token)
    right = call(server, "authenticate", {"username": name, "password": PASSWORD}, token)
    assert right.json()["authenticated"] is False


# --- tokens ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    [
        "authenticate",
        "",
        "confirm-invitee",
        "addUser",
        "reset-password/initiate",
        "reset-password/verify",
        "reset-password/confirm",
        "statistics",
    ],
)
def test_every_call_needs_a_valid_token(rest_server: LiveServer, action: str) -> None:
    for token in (None, "garbage.token.value"):
        answer = call(rest_server, action, {}, token)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert answer.json()["success"] is False


def test_token_without_apim_subscribe_is_403(rest_server: LiveServer) -> None:
    token = service_token(rest_server, scopes=[S.USER_MGT_LIST])
    answer = call(rest_server, "authenticate", {"username": "x", "password": "y"}, token)
    assert answer.status_code == 403
    assert 'error="insufficient_scope"' in answer.headers["WWW-Authenticate"]


def test_user_tokens_do_not_reach_the_subscriber_api(rest_server: LiveServer) -> None:
    """A user token carries what the user may do to themselves: no tenant statistics."""
    name = active_user(rest_server)
    token = user_token(rest_server, name)
    assert call(rest_server, "authenticate", {}, token).status_code == 403
    assert call(rest_server, "statistics", {"type": "logins"}, token).status_code == 403


def test_body_must_be_a_json_object(rest_server: LiveServer, token: str) -> None:
    answer = call(rest_server, "authenticate", ["a", "list"], token)
    assert answer.status_code == 400 and answer.json()["success"] is False


# --- invitation -----------------------------------------------------------------------------------


def invite(server: LiveServer, token: str, address: str):
    return call(server, "", {"username": address}, token)


def test_invitation_to_sign_up_end_to_end(rest_server: LiveServer, token: str) -> None:
    address = f"{unique()}@example.test"
    answer = invite(rest_server, token, address)
    assert answer.json() == {"success": True, "message": "User is invited successfully."}
    key = mailed_key(rest_server, address)
    assert key not in answer.text  # the key travels only by mail

    confirmed = call(
        rest_server,
        "confirm-invitee",
        {"confirmationKey": key, "isStoreInvitee": "true", "IsInvitee": None},
        token,
    )
    body = confirmed.json()
    assert body["success"] is True
    assert body["message"] == (
        f"Successfully confirmed the the confirmation key for the user {address}"
    )
    data = json.loads(body["data"])
    assert set(data) == {"confirmationKey", "email"} and data["email"] == address
    assert data["confirmationKey"] != key

    added = call(
        rest_server,
        "addUser",
        {
            "confirmationKey": data["confirmationKey"],
            "password": PASSWORD,
            "firstName": "Alex",
            "lastName": "Perera2",
        },
        token,
    )
    assert added.json() == {
        "success": True,
        "message": "Successfully added the user to the tenant carbon.super",
    }
    login = call(rest_server, "authenticate", {"username": address, "password": PASSWORD}, token)
    assert login.json()["authenticated"] is True
    env = rest_server.app.env
    with env.uow() as uow:
        user = uow.users.get(uow.tenants.by_domain("carbon.super"), address)
        claims = uow.users.claims(user)
    assert claims[GIVEN_NAME] == "Alex" and claims[LAST_NAME] == "Perera2"
    assert claims[EMAIL] == address
    events = audit_events(rest_server, address)
    assert {"invited:success", "invite_confirmed:success", "invitee_added:success"} <= set(events)


def test_invited_account_cannot_log_in_before_it_is_added(
    rest_server: LiveServer, token: str
) -> None:
    address = f"{unique()}@example.test"
    invite(rest_server, token, address)
    answer = call(rest_server, "authenticate", {"username": address, "password": ""}, token)
    assert answer.json()["authenticated"] is False


def test_invitation_of_an_existing_user(rest_server: LiveServer, token: str) -> None:
    name = active_user(rest_server)
    address = f"{name}@example.test"
    assert invite(rest_server, token, name).json()["success"] is True
    key = mailed_key(rest_server, address)
    answer = call(
        rest_server, "confirm-invitee", {"confirmationKey": key, "IsInvitee": "true"}, token
    )
    assert answer.json() == {
        "success": True,
        "message": f"The user : {address} has been successfully invited. "
        "Please use the same password to login",
    }
    again = call(rest_server, "confirm-invitee", {"confirmationKey": key}, token)
    assert again.json() == {"success": False, "message": INVALID_LINK}


def test_invitation_needs_self_signup_in_the_tenant(rest_server: LiveServer) -> None:
    tenant = new_tenant(rest_server)
    with rest_server.app.env.uow() as uow:
        uow.tenants.set_self_signup(uow.tenants.by_domain(tenant), False)
        uow.commit()
    token = service_token(rest_server, auth=oauth_client(rest_server, tenant))
    answer = invite(rest_server, token, f"{unique()}@example.test")
    assert answer.status_code == 400
    assert answer.json() == {
        "success": False,
        "message": f"Self sign-up is not enabled for the tenant {tenant}",
    }


def test_invitee_must_be_an_email_address(rest_server: LiveServer, token: str) -> None:
    answer = invite(rest_server, token, unique())
    assert answer.status_code == 400 and answer.json()["success"] is False


@pytest.mark.parametrize("key", ["", "not-a-key", "11508277-080d-45e4-b7ac-956f76c3f93f"])
def test_invalid_invitation_key_gets_the_documented_message(
    rest_server: LiveServer, token: str, key: str
) -> None:
    answer = call(rest_server, "confirm-invitee", {"confirmationKey": key}, token)
    assert answer.status_code == 400
    assert answer.json() == {"success": False, "message": INVALID_LINK}


def test_expired_invitation_key_gets_the_documented_message(
    rest_server: LiveServer, token: str
) -> None:
    address = f"{unique()}@example.test"
    invite(rest_server, token, address)
    key = mailed_key(rest_server, address)
    rest_server.clock.advance(hours=25)
    fresh = service_token(rest_server, scopes=[S.SUBSCRIBE])
    answer = call(rest_server, "confirm-invitee", {"confirmationKey": key}, fresh)
    assert answer.json() == {"success": False, "message": INVALID_LINK}


def test_invitation_key_of_another_tenant_is_refused(rest_server: LiveServer, token: str) -> None:
    address = f"{unique()}@example.test"
    invite(rest_server, token, address)
    key = mailed_key(rest_server, address)
    tenant = new_tenant(rest_server)
    other = service_token(rest_server, auth=oauth_client(rest_server, tenant))
    answer = call(rest_server, "confirm-invitee", {"confirmationKey": key}, other)
    assert answer.json() == {"success": False, "message": INVALID_LINK}


def accepted_key(server: LiveServer, token: str) -> str:
    address = f"{unique()}@example.test"
    invite(server, token, address)
    key = mailed_key(server, address)
    data = call(server, "confirm-invitee", {"confirmationKey": key}, token).json()["data"]
    return str(json.loads(data)["confirmationKey"])


@pytest.mark.parametrize(
    ("password", "first", "last"),
    [
        ("lowercase1only", "Alex", "Perera"),  # two classes of four
        ("short#A1", "Al ex", "Perera"),  # a space in the first name
        (PASSWORD, "Alex", "Per-era"),
        (PASSWORD, "", "Perera"),
        ("Aa1#", "Alex", "Perera"),  # below the policy's minimum length
    ],
)
def test_add_user_enforces_password_and_name_rules(
    rest_server: LiveServer, token: str, password: str, first: str, last: str
) -> None:
    key = accepted_key(rest_server, token)
    answer = call(
        rest_server,
        "addUser",
        {"confirmationKey": key, "password": password, "firstName": first, "lastName": last},
        token,
    )
    assert answer.status_code == 400 and answer.json()["success"] is False
    # The key survives a refused attempt: the invitee can correct the form.
    retry = call(
        rest_server,
        "addUser",
        {"confirmationKey": key, "password": PASSWORD, "firstName": "Alex", "lastName": "Perera"},
        token,
    )
    assert retry.json()["success"] is True


def test_add_user_with_an_invalid_or_used_key(rest_server: LiveServer, token: str) -> None:
    form = {"password": PASSWORD, "firstName": "Alex", "lastName": "Perera"}
    bogus = call(rest_server, "addUser", {"confirmationKey": "nope", **form}, token)
    assert bogus.json() == {"success": False, "message": INVALID_KEY}
    key = accepted_key(rest_server, token)
    assert call(rest_server, "addUser", {"confirmationKey": key, **form}, token).json()["success"]
    used = call(rest_server, "addUser", {"confirmationKey": key, **form}, token)
    assert used.json() == {"success": False, "message": INVALID_KEY}


def test_invitation_key_is_not_an_add_user_key(rest_server: LiveServer, token: str) -> None:
    address = f"{unique()}@example.test"
    invite(rest_server, token, address)
    key = mailed_key(rest_server, address)
    answer = call(
        rest_server,
        "addUser",
        {"confirmationKey": key, "password": PASSWORD, "firstName": "A", "lastName": "B"},
        token,
    )
    assert answer.json() == {"success": False, "message": INVALID_KEY}


# --- password reset ------------------------------------------------------------------------------


def reset_to_key(server: LiveServer, token: str, name: str) -> str:
    started = call(server, "reset-password/initiate", {"email": name}, token)
    assert started.json()["success"] is True
    code = mailed_key(server, f"{name}@example.test")
    verified = call(
        server, "reset-password/verify", {"email": name, "confirmationCode": code}, token
    )
    body = verified.json()
    assert body["success"] is True, body
    assert body["message"] == (
        f"Provided verification code for the email {name}@example.test has been successfully "
        "verified"
    )
    data = json.loads(body["data"])
    assert data["verified"] is True and data["userName"] == name
    assert data["email"] == f"{name}@example.test" and data["confirmationKey"] != code
    return str(data["confirmationKey"])


def test_password_reset_in_three_steps(rest_server: LiveServer, token: str) -> None:
    name = active_user(rest_server)
    key = reset_to_key(rest_server, token, name)
    done = call(
        rest_server,
        "reset-password/confirm",
        {"email": name, "confirmationKey": key, "newPassword": NEW_PASSWORD},
        token,
    )
    assert done.json() == {
        "success": True,
        "message": f"Password has been successfully reset for the user {name}. "
        "Please login with your new password.",
    }
    old = call(rest_server, "authenticate", {"username": name, "password": PASSWORD}, token)
    new = call(rest_server, "authenticate", {"username": name, "password": NEW_PASSWORD}, token)
    assert old.json()["authenticated"] is False and new.json()["authenticated"] is True
    again = call(
        rest_server,
        "reset-password/confirm",
        {"email": name, "confirmationKey": key, "newPassword": "Third#Pass789"},
        token,
    )
    assert again.status_code == 400 and again.json()["success"] is False


def test_reset_of_an_unknown_user_answers_alike_and_sends_nothing(
    rest_server: LiveServer, token: str
) -> None:
    ghost = unique("ghost")
    answer = call(rest_server, "reset-password/initiate", {"email": ghost}, token)
    assert answer.json()["success"] is True
    rest_server.deliver_mail()
    assert rest_server.smtp.mailbox.for_address(f"{ghost}@example.test") == []


@pytest.mark.parametrize("code", ["", "wrong-code", "11508277-080d-45e4-b7ac-956f76c3f93f"])
def test_reset_verify_refuses_a_wrong_code(rest_server: LiveServer, token: str, code: str) -> None:
    name = active_user(rest_server)
    call(rest_server, "reset-password/initiate", {"email": name}, token)
    answer = call(
        rest_server, "reset-password/verify", {"email": name, "confirmationCode": code}, token
    )
    assert answer.json() == {"success": False, "message": INVALID_LINK}


def test_reset_code_expires(rest_server: LiveServer, token: str) -> None:
    name = active_user(rest_server)
    call(rest_server, "reset-password/initiate", {"email": name}, token)
    code = mailed_key(rest_server, f"{name}@example.test")
    rest_server.clock.advance(minutes=11)
    answer = call(
        rest_server, "reset-password/verify", {"email": name, "confirmationCode": code}, token
    )
    assert answer.json() == {"success": False, "message": INVALID_LINK}


def test_reset_confirm_applies_the_password_policy(rest_server: LiveServer, token: str) -> None:
    name = active_user(rest_server)
    key = reset_to_key(rest_server, token, name)
    answer = call(
        rest_server,
        "reset-password/confirm",
        {"email": name, "confirmationKey": key, "newPassword": "short"},
        token,
    )
    assert answer.status_code == 400 and answer.json()["success"] is False
    assert "8 to 64" in answer.json()["message"]


def test_reset_responses_carry_no_mailed_code(rest_server: LiveServer, token: str) -> None:
    name = active_user(rest_server)
    started = call(rest_server, "reset-password/initiate", {"email": name}, token)
    code = mailed_key(rest_server, f"{name}@example.test")
    assert code not in started.text


# --- statistics ----------------------------------------------------------------------------------


def test_statistics_count_audited_events_per_day(rest_server: LiveServer, token: str) -> None:
    tenant = new_tenant(rest_server)
    client = oauth_client(rest_server, tenant)
    tenant_token = service_token(rest_server, auth=client)
    name = active_user(rest_server, tenant)
    for _ in range(2):
        call(rest_server, "authenticate", {"username": name, "password": PASSWORD}, tenant_token)
    call(rest_server, "authenticate", {"username": name, "password": "Wrong#1234"}, tenant_token)
    today = rest_server.clock.now().date()
    answer = call(
        rest_server,
        "statistics",
        {
            "statisticsType": "logins",
            "startDate": (today - timedelta(days=2)).isoformat(),
            "endDate": today.isoformat(),
        },
        tenant_token,
    )
    body = answer.json()
    assert body["success"] is True
    assert body["message"] == (
        "Successfully retrieved the statistics data for the statistics type logins for the "
        f"user {client[0]}@{tenant}"
    )
    assert json.loads(body["data"]) == [
        {"date": (today - timedelta(days=2)).isoformat(), "count": 0},
        {"date": (today - timedelta(days=1)).isoformat(), "count": 0},
        {"date": today.isoformat(), "count": 2},
    ]
    failed = call(rest_server, "statistics", {"type": "failedLogins"}, tenant_token).json()
    assert json.loads(failed["data"])[-1] == {"date": today.isoformat(), "count": 1}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"type": "getTopAppUsers"}, "Unknown statistics type 'getTopAppUsers'"),
        ({}, "Unknown statistics type None"),
        ({"type": "logins", "startDate": "yesterday"}, "must be dates"),
        ({"type": "logins", "startDate": "2026-02-01", "endDate": "2026-01-01"}, "forwards"),
    ],
)
def test_statistics_refuse_what_they_cannot_answer(
    rest_server: LiveServer, token: str, body: dict[str, str], fragment: str
) -> None:
    answer = call(rest_server, "statistics", body, token)
    assert answer.status_code == 400
    assert answer.json()["success"] is False and fragment in answer.json()["message"]


# --- tenants and races -----------------------------------------------------------------------


def test_token_of_one_tenant_cannot_act_in_another(rest_server: LiveServer, token: str) -> None:
    tenant = new_tenant(rest_server)
    name = active_user(rest_server, tenant)
    login = call(
        rest_server, "authenticate", {"username": f"{name}@{tenant}", "password": PASSWORD}, token
    )
    assert login.json()["authenticated"] is False
    invited = call(rest_server, "", {"username": f"{unique()}@example.test@{tenant}"}, token)
    assert invited.status_code == 400 and invited.json()["success"] is False
    started = call(rest_server, "reset-password/initiate", {"email": f"{name}@{tenant}"}, token)
    assert started.json()["success"] is True  # told alike, and nothing is sent
    rest_server.deliver_mail()
    assert rest_server.smtp.mailbox.for_address(f"{name}@example.test") == []


def test_concurrent_confirmations_of_one_key_succeed_once(
    rest_server: LiveServer, token: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    address = f"{unique()}@example.test"
    invite(rest_server, token, address)
    key = mailed_key(rest_server, address)
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(
                lambda _: call(rest_server, "confirm-invitee", {"confirmationKey": key}, token),
                range(6),
            )
        )
    successes = [a for a in answers if a.json()["success"]]
    assert len(successes) == 1
    assert all(a.json()["message"] == INVALID_LINK for a in answers if a not in successes)


def test_confirm_invitee_takes_the_links_query_parameters(
    rest_server: LiveServer, token: str
) -> None:
    """The hosted API's invitation link carries confirmation, isStoreInvitee and tenant."""
    import requests

    from tests.rest.support import SUBSCRIBER, bearer

    address = f"{unique()}@example.test"
    invite(rest_server, token, address)
    key = mailed_key(rest_server, address)
    answer = requests.post(
        rest_server.url + f"{SUBSCRIBER}/confirm-invitee",
        params={"confirmation": key, "isStoreInvitee": "true", "tenant": "carbon.super"},
        headers=bearer(token),
        timeout=30,
    )
    assert answer.json()["success"] is True
    assert json.loads(answer.json()["data"])["email"] == address
