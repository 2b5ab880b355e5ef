"""One store, one set of rules: what one face does, the others see (SOAP, password grant,
subscriber API), including users imported from WSO2 with legacy password hashes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import requests

from recovery_soap.core import scopes as S
from recovery_soap.core.passwords import is_wrapped_legacy, legacy_digest
from tests.conftest import LiveServer, unique
from tests.importer.support import cli_json
from tests.importer.test_wso2_import import target_env
from tests.rest.support import (
    bearer,
    oauth_client,
    service_token,
    subscriber_call,
    token_response,
)
from tests.rest.tokens import claims_of
from tests.soap.flows import PASSWORD as SOAP_PASSWORD
from tests.soap.flows import confirmed_user, recover_by_mail, start_recovery

NEW_PASSWORD = "New#Pass456"


@pytest.fixture
def soap(rest_server: LiveServer):
    return rest_server.client()


@pytest.fixture
def token(rest_server: LiveServer) -> str:
    return service_token(rest_server, scopes=[S.SUBSCRIBE])


def authenticated(server: LiveServer, token: str, name: str, password: str) -> bool:
    answer = subscriber_call(
        server, "authenticate", {"username": name, "password": password}, token
    )
    assert answer.status_code == 200, answer.text
    return bool(answer.json()["authenticated"])


def password_grant(server: LiveServer, name: str, password: str, auth=None) -> int:
    form = {"grant_type": "password", "username": name, "password": password}
    return token_response(server, form, auth=auth).status_code


def test_user_signed_up_over_soap_logs_in_over_rest(
    rest_server: LiveServer, soap, token: str
) -> None:
    name = confirmed_user(rest_server, soap)
    assert authenticated(rest_server, token, name, SOAP_PASSWORD)
    assert password_grant(rest_server, name, SOAP_PASSWORD) == 200


def test_user_awaiting_soap_confirmation_cannot_log_in_over_rest(
    rest_server: LiveServer, soap, token: str
) -> None:
    name = unique()
    bean = soap.registerUser(
        userName=name,
        password=SOAP_PASSWORD,
        claims=[
            {
                "claimUri": "http://wso2.org/claims/emailaddress",
                "claimValue": f"{name}@example.test",
            }
        ],
        profileName="default",
        tenantDomain="carbon.super",
    )
    assert bean.error is None  # the account now awaits the mailed code
    assert not authenticated(rest_server, token, name, SOAP_PASSWORD)
    assert password_grant(rest_server, name, SOAP_PASSWORD) == 400


def api_reset(server: LiveServer, token: str, name: str, new_password: str) -> None:
    assert subscriber_call(server, "reset-password/initiate", {"email": name}, token).ok
    server.deliver_mail()
    code = server.smtp.mailbox.last_code(f"{name}@example.test")
    verified = subscriber_call(
        server, "reset-password/verify", {"email": name, "confirmationCode": code}, token
    ).json()
    key = json.loads(verified["data"])["confirmationKey"]
    done = subscriber_call(
        server,
        "reset-password/confirm",
        {"email": name, "confirmationKey": key, "newPassword": new_password},
        token,
    )
    assert done.json()["success"] is True, done.text


def test_password_reset_over_soap_is_the_password_over_rest(
    rest_server: LiveServer, soap, token: str
) -> None:
    name = confirmed_user(rest_server, soap)
    recover_by_mail(rest_server, soap, name, NEW_PASSWORD)
    assert authenticated(rest_server, token, name, NEW_PASSWORD)
    assert not authenticated(rest_server, token, name, SOAP_PASSWORD)
    assert password_grant(rest_server, name, NEW_PASSWORD) == 200


def test_password_reset_over_rest_ends_a_soap_recovery_and_is_the_new_password(
    rest_server: LiveServer, soap, token: str
) -> None:
    name = confirmed_user(rest_server, soap)
    soap_key = start_recovery(rest_server, soap, name)
    api_reset(rest_server, token, name, NEW_PASSWORD)
    # The reset spent every recovery code of the user, the SOAP flow's key included.
    bean = soap.sendRecoveryNotification(username=name, key=soap_key, notificationType="EMAIL")
    assert bean.verified is False and bean.error.startswith("18001")
    assert password_grant(rest_server, name, NEW_PASSWORD) == 200
    assert password_grant(rest_server, name, SOAP_PASSWORD) == 400
    # ... and a later SOAP recovery works from the new state.
    recover_by_mail(rest_server, soap, name, "Third#Pass789")
    assert authenticated(rest_server, token, name, "Third#Pass789")


def test_user_invited_over_rest_recovers_over_soap(
    rest_server: LiveServer, soap, token: str
) -> None:
    address = f"{unique()}@example.test"
    subscriber_call(rest_server, "", {"username": address}, token)
    rest_server.deliver_mail()
    key = rest_server.smtp.mailbox.last_code(address)
    data = subscriber_call(rest_server, "confirm-invitee", {"confirmationKey": key}, token).json()
    added = subscriber_call(
        rest_server,
        "addUser",
        {
            "confirmationKey": json.loads(data["data"])["confirmationKey"],
            "password": SOAP_PASSWORD,
            "firstName": "Alex",
            "lastName": "Perera",
        },
        token,
    )
    assert added.json()["success"] is True
    bean = soap.verifyUser(username=address, captcha=rest_server.solve_captcha(soap))
    assert bean.verified and bean.key, bean.error


def test_pending_invitation_is_a_taken_name_for_soap_sign_up(
    rest_server: LiveServer, soap, token: str
) -> None:
    address = f"{unique()}@example.test"
    subscriber_call(rest_server, "", {"username": address}, token)
    bean = soap.registerUser(
        userName=address,
        password=SOAP_PASSWORD,
        claims=[{"claimUri": "http://wso2.org/claims/emailaddress", "claimValue": address}],
        profileName="default",
        tenantDomain="carbon.super",
    )
    assert bean.verified is False and "already exists" in bean.error


@pytest.mark.parametrize("face", ["password grant", "authenticate"])
def test_imported_legacy_hash_logs_in_and_is_upgraded(
    rest_server: LiveServer,
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    face: str,
) -> None:
    target_env(monkeypatch, database_url)
    tenant = f"{unique('legacy')}.test".replace("_", "-")
    name, salt, secret = unique("imported"), "c2FsdC0xMjM=", "Legacy#Pass123"
    file = tmp_path / "users.csv"
    with file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["username", "password_hash", "password_salt", "email"])
        writer.writerow([name, legacy_digest(secret, salt), salt, f"{name}@example.test"])
    assert cli_json("import", "csv", "--file", str(file), "--tenant", tenant)["created"] == 1
    client = oauth_client(rest_server, tenant)

    def stored_hash() -> str:
        env = rest_server.app.env
        with env.uow() as uow:
            return uow.users.get(uow.tenants.by_domain(tenant), name).password_hash

    assert is_wrapped_legacy(stored_hash())
    if face == "password grant":
        assert password_grant(rest_server, name, "Wrong#Pass123", auth=client) == 400
        assert is_wrapped_legacy(stored_hash())  # a wrong password upgrades nothing
        answer = token_response(
            rest_server,
            {"grant_type": "password", "username": name, "password": secret},
            auth=client,
        )
        assert answer.status_code == 200
        token = answer.json()["access_token"]
        assert claims_of(token)["tenant"] == tenant
        # The token names the upgraded hash: the login's own rehash does not end it.
        own = requests.get(rest_server.url + "/scim2/Me", headers=bearer(token), timeout=30)
        assert own.status_code == 200, own.text
    else:
        tenant_token = service_token(rest_server, auth=client)
        assert authenticated(rest_server, tenant_token, name, secret)
    upgraded = stored_hash()
    assert not is_wrapped_legacy(upgraded) and upgraded.startswith("$argon2id$")
    assert password_grant(rest_server, name, secret, auth=client) == 200
