"""/scim2/Me may not change what identifies the account elsewhere (externalId), and a change of
the recovery e-mail address is told to the old address (and, if configured, waits for the new
address to be verified)."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer
from tests.rest.support import PASSWORD, active_user
from tests.rest.test_scim_support import assert_error, manager, own
from tests.support import body_of

EXTERNAL = "urn:ietf:params:scim:schemas:core:2.0:User:externalId"


def with_external_id(server: LiveServer, value: str = "hr-0001") -> str:
    """A user whose externalId was set by a service (user management)."""
    name = active_user(server)
    admin = manager(server)
    found = admin.get("/Users", params={"filter": f'userName eq "{name}"'}).json()
    user_id = found["Resources"][0]["id"]
    answer = admin.patch(f"/Users/{user_id}", [{"op": "add", "path": "externalId", "value": value}])
    assert answer.status_code == 200, answer.text
    return name


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "replace", "path": "externalId", "value": "someone-else"}],
        [{"op": "add", "value": {"externalId": "someone-else"}}],
        [{"op": "remove", "path": "externalId"}],
    ],
    ids=["replace", "add-value", "remove"],
)
def test_me_cannot_change_external_id(rest_server: LiveServer, operations) -> None:
    name = with_external_id(rest_server)
    client = own(rest_server, name, PASSWORD)
    before = client.get("/Me").json()
    assert before["externalId"] == "hr-0001"
    answer = client.patch("/Me", operations)
    assert_error(answer, 400, "mutability")
    assert client.get("/Me").json() == before


def test_me_cannot_set_an_external_id(rest_server: LiveServer) -> None:
    name = active_user(rest_server)
    client = own(rest_server, name, PASSWORD)
    answer = client.patch("/Me", [{"op": "add", "path": "externalId", "value": "mine"}])
    assert_error(answer, 400, "mutability")
    assert "externalId" not in client.get("/Me").json()


def test_put_me_keeping_the_external_id_is_accepted(rest_server: LiveServer) -> None:
    name = with_external_id(rest_server)
    client = own(rest_server, name, PASSWORD)
    current = client.get("/Me").json()
    body = {k: v for k, v in current.items() if k not in ("id", "meta")}
    answer = client.put("/Me", {**body, "nickName": "kept"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["externalId"] == "hr-0001"


def notices(server: LiveServer, address: str) -> list[str]:
    server.deliver_mail()
    return [f"{m['Subject']}\n{body_of(m)}" for m in server.smtp.mailbox.for_address(address)]


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "replace", "path": "emails", "value": [{"value": "moved@example.test"}]}],
        [{"op": "remove", "path": "emails"}],
    ],
    ids=["replace", "remove"],
)
def test_me_email_change_is_told_to_the_old_address(rest_server: LiveServer, operations) -> None:
    name = active_user(rest_server)
    old = f"{name}@example.test"
    client = own(rest_server, name, PASSWORD)
    before = len(notices(rest_server, old))
    answer = client.patch("/Me", operations)
    assert answer.status_code == 200, answer.text
    told = notices(rest_server, old)[before:]
    assert len(told) == 1, told
    assert "e-mail address" in told[0].lower() and name in told[0]


def test_me_change_without_a_new_address_sends_no_notice(rest_server: LiveServer) -> None:
    name = active_user(rest_server)
    old = f"{name}@example.test"
    client = own(rest_server, name, PASSWORD)
    before = len(notices(rest_server, old))
    answer = client.patch("/Me", [{"op": "add", "path": "nickName", "value": "nick"}])
    assert answer.status_code == 200, answer.text
    assert notices(rest_server, old)[before:] == []


def test_with_verification_an_email_change_waits_for_the_mailed_code(serve) -> None:
    server = serve(email_change_verification=True)
    name = active_user(server)
    old, new = f"{name}@example.test", f"{name}-new@example.test"
    client = own(server, name, PASSWORD)
    before = len(notices(server, old))
    moved = [{"op": "replace", "path": "emails", "value": [{"value": new}]}]
    answer = client.patch("/Me", [*moved, {"op": "add", "path": "nickName", "value": "n"}])
    assert answer.status_code == 200, answer.text
    assert answer.json()["emails"] == [{"value": old, "type": "work"}]
    assert answer.json()["nickName"] == "n"  # the rest of the change applies at once
    assert notices(server, old)[before:] == []
    code = server.smtp.mailbox.last_code(new)

    wrong = client.post("/Me/emailVerification", {"code": "not-the-code"})
    assert_error(wrong, 400)
    assert client.get("/Me").json()["emails"] == [{"value": old, "type": "work"}]

    done = client.post("/Me/emailVerification", {"code": code})
    assert done.status_code == 200, done.text
    assert done.json()["emails"] == [{"value": new, "type": "work"}]
    assert len(notices(server, old)[before:]) == 1
    again = client.post("/Me/emailVerification", {"code": code})
    assert_error(again, 400)


def test_another_users_code_does_not_verify(serve) -> None:
    server = serve(email_change_verification=True)
    first, second = active_user(server), active_user(server)
    one, two = own(server, first, PASSWORD), own(server, second, PASSWORD)
    target = f"{first}-new@example.test"
    one.patch("/Me", [{"op": "replace", "path": "emails", "value": [{"value": target}]}])
    server.deliver_mail()
    code = server.smtp.mailbox.last_code(target)
    assert_error(two.post("/Me/emailVerification", {"code": code}), 400)
    assert one.post("/Me/emailVerification", {"code": code}).status_code == 200


def test_without_verification_the_change_applies_at_once(rest_server: LiveServer) -> None:
    name = active_user(rest_server)
    client = own(rest_server, name, PASSWORD)
    moved = [{"op": "replace", "path": "emails", "value": [{"value": "now@example.test"}]}]
    assert client.patch("/Me", moved).json()["emails"] == [
        {"value": "now@example.test", "type": "work"}
    ]
