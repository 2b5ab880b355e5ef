"""/scim2/Me: the token's own profile read, patched (PatchOp variants), replaced, and the
password changed under the policy, with the notice mail and nothing changed on a refusal."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.rest.support import PASSWORD, active_user, token_response
from tests.rest.test_scim_support import (
    ENTERPRISE,
    ScimClient,
    assert_error,
    manager,
    own,
)
from tests.support import body_of

NEW_PASSWORD = "Brand#New456"


@pytest.fixture
def me(rest_server: LiveServer) -> tuple[ScimClient, str]:
    name = active_user(rest_server)
    return own(rest_server, name, PASSWORD), name


def test_me_reads_the_token_users_profile(me: tuple[ScimClient, str]) -> None:
    client, name = me
    answer = client.get("/Me")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/scim+json")
    user = answer.json()
    assert user["userName"] == name
    assert user["emails"] == [{"value": f"{name}@example.test", "type": "work"}]
    assert user["name"] == {"givenName": "Test"}
    assert user["meta"]["resourceType"] == "User"
    assert user["meta"]["location"].endswith(f"/scim2/Users/{user['id']}")
    assert answer.headers["ETag"] == user["meta"]["version"]
    assert "password" not in user


def test_me_accepts_plain_json_too(me: tuple[ScimClient, str]) -> None:
    client, _ = me
    answer = client.call(
        "PATCH",
        "/Me",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "value": {"nickName": "json"}}],
        },
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["nickName"] == "json"


def test_a_service_token_has_no_me(rest_server: LiveServer) -> None:
    answer = manager(rest_server, ["internal_login"]).get("/Me")
    assert_error(answer, 403)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Basic dGVzdDp0ZXN0"],
    ids=["missing", "garbage", "basic"],
)
def test_me_without_a_valid_token_is_401(
    rest_server: LiveServer, authorization: str | None
) -> None:
    client = ScimClient(rest_server, None)
    headers = {"Authorization": authorization} if authorization else {}
    answer = client.get("/Me", headers=headers)
    assert_error(answer, 401)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_me_needs_the_login_scope(rest_server: LiveServer) -> None:
    name = active_user(rest_server)
    answer = token_response(
        rest_server,
        {"grant_type": "password", "username": name, "password": PASSWORD, "scope": "openid"},
    )
    assert answer.status_code == 200, answer.text
    client = ScimClient(rest_server, answer.json()["access_token"])
    refused = client.get("/Me")
    assert_error(refused, 403)
    assert "insufficient_scope" in refused.headers["WWW-Authenticate"]


def test_wso2_nickname_value_object(me: tuple[ScimClient, str]) -> None:
    """The documented self-service call: a path-less add with a value object."""
    client, _ = me
    answer = client.patch("/Me", [{"op": "add", "value": {"nickName": "shaggy"}}])
    assert answer.status_code == 200, answer.text
    assert answer.json()["nickName"] == "shaggy"
    assert client.get("/Me").json()["nickName"] == "shaggy"


@pytest.mark.parametrize(
    ("operations", "check"),
    [
        (
            [{"op": "replace", "path": "name.givenName", "value": "Grace"}],
            lambda u: u["name"]["givenName"] == "Grace",
        ),
        (
            [{"op": "add", "path": "name.familyName", "value": "Hopper"}],
            lambda u: u["name"] == {"givenName": "Test", "familyName": "Hopper"},
        ),
        (
            [
                {
                    "op": "replace",
                    "path": 'emails[type eq "work"].value',
                    "value": "new@example.test",
                }
            ],
            lambda u: u["emails"] == [{"value": "new@example.test", "type": "work"}],
        ),
        (
            [{"op": "add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+9477"}],
            lambda u: u["phoneNumbers"] == [{"value": "+9477", "type": "mobile"}],
        ),
        (
            [{"op": "add", "path": "phoneNumbers", "value": [{"value": "+1", "type": "work"}]}],
            lambda u: u["phoneNumbers"] == [{"value": "+1", "type": "work"}],
        ),
        (
            [{"op": "add", "value": {"title": "Dr", "locale": "en_GB", "timezone": "UTC"}}],
            lambda u: (u["title"], u["locale"], u["timezone"]) == ("Dr", "en_GB", "UTC"),
        ),
        (
            [{"op": "replace", "value": {"name": {"givenName": "Kay"}, "nickName": "k"}}],
            lambda u: u["name"]["givenName"] == "Kay" and u["nickName"] == "k",
        ),
        (
            [
                {"op": "add", "path": f"{ENTERPRISE}:organization", "value": "Acme"},
                {"op": "add", "path": f"{ENTERPRISE}:department", "value": "R&D"},
            ],
            lambda u: u[ENTERPRISE] == {"organization": "Acme", "department": "R&D"},
        ),
        (
            [
                {"op": "add", "path": "nickName", "value": "gone"},
                {"op": "remove", "path": "nickName"},
            ],
            lambda u: "nickName" not in u,
        ),
        (
            [{"op": "remove", "path": "emails"}],
            lambda u: "emails" not in u,
        ),
        (
            [
                {
                    "op": "add",
                    "path": "addresses",
                    "value": [{"type": "work", "locality": "Colombo", "country": "LK"}],
                }
            ],
            lambda u: u["addresses"] == [{"locality": "Colombo", "country": "LK", "type": "work"}],
        ),
        (
            [{"op": "Replace", "path": "ims", "value": [{"value": "ada@xmpp.test"}]}],
            lambda u: u["ims"] == [{"value": "ada@xmpp.test"}],
        ),
    ],
    ids=[
        "replace-given-name",
        "add-family-name",
        "replace-filtered-email",
        "add-filtered-phone",
        "add-phone-list",
        "add-value-object",
        "replace-value-object",
        "enterprise-extension",
        "add-then-remove",
        "remove-emails",
        "add-address",
        "op-is-case-insensitive",
    ],
)
def test_patch_operations_change_the_profile(
    me: tuple[ScimClient, str], operations: list[dict[str, Any]], check: Any
) -> None:
    client, _ = me
    answer = client.patch("/Me", operations)
    assert answer.status_code == 200, answer.text
    assert check(answer.json()), answer.json()
    assert check(client.get("/Me").json())


@pytest.mark.parametrize(
    ("operations", "status", "scim_type"),
    [
        ([{"op": "move", "path": "nickName", "value": "x"}], 400, "invalidValue"),
        ([{"op": "remove"}], 400, "noTarget"),
        ([{"op": "add", "path": "nickName["}], 400, "invalidPath"),
        ([{"op": "add", "path": "nickName", "value": 3}], 400, "invalidValue"),
        ([{"op": "replace", "path": "id", "value": "7"}], 400, "mutability"),
        ([{"op": "replace", "path": "userName", "value": "someone-else"}], 400, "mutability"),
        ([{"op": "replace", "path": "active", "value": False}], 400, "mutability"),
        (
            [{"op": "add", "path": "emails", "value": [{"value": "not-an-address"}]}],
            400,
            "invalidValue",
        ),
        (
            [{"op": "add", "path": "x509Certificates", "value": [{"value": "TUlJ"}]}],
            400,
            "invalidValue",
        ),
        (
            [{"op": "add", "path": 'phoneNumbers[type eq "fax"].value', "value": "1"}],
            400,
            "invalidValue",
        ),
        (
            [
                {
                    "op": "add",
                    "value": {"password": "short"},
                }
            ],
            400,
            "invalidValue",
        ),
        ([], 400, "invalidValue"),
    ],
    ids=[
        "unknown-op",
        "remove-without-path",
        "bad-path",
        "wrong-type",
        "read-only-id",
        "rename-self",
        "deactivate-self",
        "bad-email",
        "unsupported-attribute",
        "unkept-phone-type",
        "password-policy",
        "no-operations",
    ],
)
def test_bad_patches_are_refused_and_change_nothing(
    me: tuple[ScimClient, str], operations: list[dict[str, Any]], status: int, scim_type: str
) -> None:
    client, name = me
    before = client.get("/Me").json()
    # A good operation first: a refused patch applies none of its operations.
    sent = [{"op": "add", "path": "nickName", "value": "x"}, *operations] if operations else []
    answer = client.patch("/Me", sent)
    assert_error(answer, status, scim_type)
    assert client.get("/Me").json() == before
    if scim_type == "invalidValue" and operations and "password" in str(operations):
        assert own(client.server, name, PASSWORD).get("/Me").status_code == 200


def test_a_body_that_is_not_json_is_invalid_syntax(me: tuple[ScimClient, str]) -> None:
    client, _ = me
    answer = client.call(
        "PATCH", "/Me", headers={"Content-Type": "application/scim+json"}, params=None
    )
    assert_error(answer, 400, "invalidSyntax")
    import requests

    raw = requests.patch(
        client.server.url + "/scim2/Me",
        data=b"{not json",
        headers={
            "Authorization": f"Bearer {client.token}",
            "Content-Type": "application/scim+json",
        },
        timeout=30,
    )
    assert_error(raw, 400, "invalidSyntax")


def test_password_patch_changes_the_password_and_sends_the_notice(
    rest_server: LiveServer, me: tuple[ScimClient, str]
) -> None:
    client, name = me
    answer = client.patch("/Me", [{"op": "add", "value": {"password": NEW_PASSWORD}}])
    assert answer.status_code == 200, answer.text
    assert answer.json()["userName"] == name
    assert "password" not in answer.json() and NEW_PASSWORD not in answer.text
    assert own(rest_server, name, NEW_PASSWORD).get("/Me").status_code == 200
    refused = token_response(
        rest_server, {"grant_type": "password", "username": name, "password": PASSWORD}
    )
    assert refused.status_code in (400, 401) and refused.json()["error"] == "invalid_grant"
    rest_server.deliver_mail()
    mails = rest_server.smtp.mailbox.for_address(f"{name}@example.test")
    assert mails, "no password-changed notice"
    notice = body_of(mails[-1])
    assert NEW_PASSWORD not in notice
    assert name in notice or "password" in notice.lower()


def test_refused_password_changes_nothing_else_in_the_patch(me: tuple[ScimClient, str]) -> None:
    client, name = me
    answer = client.patch(
        "/Me",
        [{"op": "add", "value": {"nickName": "should-not-stick", "password": "x" * 200}}],
    )
    assert_error(answer, 400, "invalidValue")
    assert "nickName" not in client.get("/Me").json()
    assert own(client.server, name, PASSWORD).get("/Me").status_code == 200


def test_put_me_replaces_the_profile(me: tuple[ScimClient, str]) -> None:
    client, name = me
    client.patch("/Me", [{"op": "add", "value": {"nickName": "old", "title": "Dr"}}])
    answer = client.put(
        "/Me",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": name,
            "nickName": "new",
            "emails": [{"value": f"{name}@example.test", "type": "work"}],
        },
    )
    assert answer.status_code == 200, answer.text
    user = client.get("/Me").json()
    assert user["nickName"] == "new"
    assert "title" not in user and "name" not in user


def test_put_me_cannot_rename(me: tuple[ScimClient, str]) -> None:
    client, _ = me
    answer = client.put(
        "/Me", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "other"}
    )
    assert_error(answer, 400, "mutability")


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_me_answers_only_get_put_patch(me: tuple[ScimClient, str], method: str) -> None:
    client, _ = me
    answer = client.call(method, "/Me", {} if method == "POST" else None)
    assert_error(answer, 405)
    assert answer.headers["Allow"] == "GET, PUT, PATCH"


def test_a_removed_users_token_no_longer_works(rest_server: LiveServer) -> None:
    name = active_user(rest_server)
    client = own(rest_server, name, PASSWORD)
    user_id = client.get("/Me").json()["id"]
    assert manager(rest_server).delete(f"/Users/{user_id}").status_code == 204
    assert_error(client.get("/Me"), 401)
