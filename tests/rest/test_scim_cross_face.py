"""One store, one set of rules: what SOAP registers, SCIM shows; what SCIM changes, the SOAP
recovery flows use (the mail goes to the new address; a password change spends open codes)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer, unique
from tests.rest.support import service_token, subscriber_call, token_response
from tests.rest.test_scim_support import manager, own
from tests.soap.flows import PASSWORD, confirmed_user, start_recovery

NEW_PASSWORD = "New#Pass456"


@pytest.fixture
def soap(rest_server: LiveServer) -> Any:
    return rest_server.client()


def _mail_code(server: LiveServer, soap: Any, name: str, address: str) -> str:
    """Start a SOAP recovery by e-mailed code and read the code from ``address``'s mail."""
    key = start_recovery(server, soap, name)
    bean = soap.sendRecoveryNotification(username=name, key=key, notificationType="EMAIL")
    assert bean.verified, bean.error
    server.deliver_mail()
    return server.smtp.mailbox.last_code(address)


def test_a_user_registered_over_soap_is_a_scim_user(rest_server: LiveServer, soap: Any) -> None:
    name = confirmed_user(rest_server, soap, answers=True)
    listed = manager(rest_server).get("/Users", params={"filter": f'userName eq "{name}"'})
    assert listed.json()["totalResults"] == 1
    user = listed.json()["Resources"][0]
    assert user["emails"] == [{"value": f"{name}@example.test", "type": "work"}]
    assert user["name"] == {"givenName": "Test", "familyName": "User"}
    assert user["active"] is True
    me = own(rest_server, name, PASSWORD).get("/Me")
    assert me.status_code == 200 and me.json() == user
    # The challenge answers and questions it registered with never leave through SCIM.
    for secret in ("Colombo", "Cricket", "challengeQuestion", "City where"):
        assert secret not in me.text and secret not in listed.text


def test_an_email_changed_by_scim_gets_the_next_recovery_mail(
    rest_server: LiveServer, soap: Any
) -> None:
    name = confirmed_user(rest_server, soap)
    moved = f"{name}@moved.example"
    answer = own(rest_server, name, PASSWORD).patch(
        "/Me", [{"op": "replace", "path": 'emails[type eq "work"].value', "value": moved}]
    )
    assert answer.status_code == 200, answer.text
    rest_server.deliver_mail()  # the earlier confirmation notice, queued before the change
    before = len(rest_server.smtp.mailbox.for_address(f"{name}@example.test"))
    code = _mail_code(rest_server, soap, name, moved)
    assert code
    assert len(rest_server.smtp.mailbox.for_address(f"{name}@example.test")) == before


def test_a_password_changed_by_scim_spends_open_recovery_codes(
    rest_server: LiveServer, soap: Any
) -> None:
    name = confirmed_user(rest_server, soap)
    address = f"{name}@example.test"
    code = _mail_code(rest_server, soap, name, address)
    client = own(rest_server, name, PASSWORD)
    answer = client.patch("/Me", [{"op": "add", "value": {"password": NEW_PASSWORD}}])
    assert answer.status_code == 200, answer.text
    bean = soap.verifyConfirmationCode(
        username=name, code=code, captcha=rest_server.solve_captcha(soap)
    )
    assert not bean.verified and bean.error.startswith("18001")
    # The password-changed notice went to the user, and only the new password logs in.
    rest_server.deliver_mail()
    subjects = [m["Subject"] for m in rest_server.smtp.mailbox.for_address(address)]
    assert len(subjects) >= 3  # confirmation, recovery code, change notice
    assert own(rest_server, name, NEW_PASSWORD).get("/Me").json()["userName"] == name


def test_a_password_reset_over_soap_logs_into_scim(rest_server: LiveServer, soap: Any) -> None:
    name = confirmed_user(rest_server, soap)
    code = _mail_code(rest_server, soap, name, f"{name}@example.test")
    bean = soap.verifyConfirmationCode(
        username=name, code=code, captcha=rest_server.solve_captcha(soap)
    )
    assert bean.verified, bean.error
    bean = soap.updatePassword(username=name, confirmationCode=bean.key, newPassword=NEW_PASSWORD)
    assert bean.verified, bean.error
    assert own(rest_server, name, NEW_PASSWORD).get("/Me").status_code == 200


def test_a_user_created_by_scim_can_recover_over_soap(rest_server: LiveServer, soap: Any) -> None:
    name = unique("scimmade")
    answer = manager(rest_server).post(
        "/Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": name,
            "emails": [{"value": f"{name}@scim.example", "type": "work"}],
        },
    )
    assert answer.status_code == 201, answer.text
    code = _mail_code(rest_server, soap, name, f"{name}@scim.example")
    bean = soap.verifyConfirmationCode(
        username=name, code=code, captcha=rest_server.solve_captcha(soap)
    )
    assert bean.verified, bean.error
    bean = soap.updatePassword(username=name, confirmationCode=bean.key, newPassword=NEW_PASSWORD)
    assert bean.verified, bean.error
    assert own(rest_server, name, NEW_PASSWORD).get("/Me").status_code == 200


def test_a_password_changed_by_scim_is_the_one_every_login_takes(
    rest_server: LiveServer, soap: Any
) -> None:
    """The subscriber API's authenticate and the password grant take the new password only."""
    name = confirmed_user(rest_server, soap)
    client = own(rest_server, name, PASSWORD)
    answer = client.patch("/Me", [{"op": "replace", "path": "password", "value": NEW_PASSWORD}])
    assert answer.status_code == 200, answer.text
    subscribe = service_token(rest_server, ["apim:subscribe"])
    for password, accepted in ((NEW_PASSWORD, True), (PASSWORD, False)):
        login = subscriber_call(
            rest_server, "authenticate", {"username": name, "password": password}, subscribe
        )
        assert login.json()["authenticated"] is accepted, login.text
        grant = token_response(
            rest_server, {"grant_type": "password", "username": name, "password": password}
        )
        assert (grant.status_code == 200) is accepted
