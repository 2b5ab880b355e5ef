"""/scim2/Users for service tokens: create, get, list with filters and pages, replace, patch,
delete; scopes per operation; ETags and If-Match; attributes and excludedAttributes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from recovery_soap.store.audit import audit_listing
from tests.conftest import LiveServer, unique
from tests.rest.support import PASSWORD, active_user, bearer, user_token
from tests.rest.test_scim_support import (
    MANAGEMENT,
    USER_SCHEMA,
    ScimClient,
    assert_error,
    created,
    manager,
    own,
    user_body,
)


@pytest.fixture
def admin(rest_server: LiveServer) -> ScimClient:
    return manager(rest_server)


def test_create_answers_201_with_location_and_etag(admin: ScimClient) -> None:
    body = user_body(password=PASSWORD, nickName="ada", title="Countess")
    answer = admin.post("/Users", body)
    assert answer.status_code == 201, answer.text
    user = answer.json()
    assert answer.headers["Location"] == user["meta"]["location"]
    assert answer.headers["ETag"] == user["meta"]["version"]
    assert user["userName"] == body["userName"] and user["active"] is True
    assert user["nickName"] == "ada" and user["title"] == "Countess"
    assert "password" not in user and PASSWORD not in answer.text
    again = admin.get(answer.headers["Location"])
    assert again.status_code == 200 and again.json() == user
    # The password given at creation is the user's: the password grant takes it.
    assert own(admin.server, body["userName"], PASSWORD).get("/Me").json()["id"] == user["id"]


@pytest.mark.parametrize("active", [False, True])
def test_removing_active_leaves_the_default_an_active_account(
    admin: ScimClient, active: bool
) -> None:
    """RFC 7644 §3.5.2.2: the optional attribute is removed; the account is left in the
    documented default state, active (unlocked), as a user created without it is."""
    user = created(admin, active=active, password=PASSWORD)
    answer = admin.patch(f"/Users/{user['id']}", [{"op": "remove", "path": "active"}])
    assert answer.status_code == 200, answer.text
    assert answer.json()["active"] is True
    assert admin.get(f"/Users/{user['id']}").json()["active"] is True
    assert own(admin.server, user["userName"], PASSWORD).get("/Me").status_code == 200


def test_create_without_a_password_makes_an_account_nobody_can_log_into(
    admin: ScimClient,
) -> None:
    user = created(admin)
    assert admin.get(f"/Users/{user['id']}").status_code == 200


def test_an_inactive_user_can_be_created_and_activated(admin: ScimClient) -> None:
    user = created(admin, active=False, password=PASSWORD)
    assert user["active"] is False
    answer = admin.patch(
        f"/Users/{user['id']}", [{"op": "replace", "path": "active", "value": True}]
    )
    assert answer.status_code == 200 and answer.json()["active"] is True
    assert own(admin.server, user["userName"], PASSWORD).get("/Me").status_code == 200


def test_a_taken_username_is_a_uniqueness_error(admin: ScimClient) -> None:
    user = created(admin)
    assert_error(admin.post("/Users", user_body(user["userName"])), 409, "uniqueness")


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        ({"schemas": [USER_SCHEMA]}, "invalidValue"),
        (user_body(password="short"), "invalidValue"),
        (user_body(emails=[{"value": "no-at-sign"}]), "invalidValue"),
        (user_body(emails=[{"value": "a@b.test"}, {"value": "c@d.test"}]), "invalidValue"),
        (user_body(roles=[{"value": "admin"}]), "invalidValue"),
        (user_body(userName="has space"), "invalidValue"),
        ({**user_body(), "unknownThing": 1}, "invalidSyntax"),
    ],
    ids=[
        "no-username",
        "password-policy",
        "bad-email",
        "two-emails",
        "unsupported-roles",
        "bad-username",
        "unknown-attribute",
    ],
)
def test_bad_creations_are_refused(admin: ScimClient, body: dict, scim_type: str) -> None:
    assert_error(admin.post("/Users", body), 400, scim_type)


def test_get_unknown_or_malformed_ids_is_404(admin: ScimClient) -> None:
    for resource_id in ("999999999", "abc", "1%20or%201=1", "-1"):
        assert_error(admin.get(f"/Users/{resource_id}"), 404)


def test_replace_sets_exactly_the_given_attributes(admin: ScimClient) -> None:
    user = created(admin, nickName="before", title="Dr")
    answer = admin.put(
        f"/Users/{user['id']}",
        {"schemas": [USER_SCHEMA], "userName": user["userName"], "nickName": "after"},
    )
    assert answer.status_code == 200, answer.text
    replaced = admin.get(f"/Users/{user['id']}").json()
    assert replaced["nickName"] == "after"
    assert {"title", "emails", "name"}.isdisjoint(replaced)


def test_replace_can_rename_but_not_onto_a_taken_name(admin: ScimClient) -> None:
    first, second = created(admin), created(admin)
    renamed = unique("renamed")
    answer = admin.put(f"/Users/{first['id']}", {"schemas": [USER_SCHEMA], "userName": renamed})
    assert answer.status_code == 200 and answer.json()["userName"] == renamed
    clash = admin.put(f"/Users/{second['id']}", {"schemas": [USER_SCHEMA], "userName": renamed})
    assert_error(clash, 409, "uniqueness")


def test_patch_users_answers_the_resource(admin: ScimClient) -> None:
    user = created(admin)
    answer = admin.patch(
        f"/Users/{user['id']}",
        [{"op": "replace", "path": 'emails[type eq "work"].value', "value": "x@example.org"}],
    )
    assert answer.status_code == 200
    assert answer.json()["emails"] == [{"value": "x@example.org", "type": "work"}]
    assert answer.headers["ETag"] != user["meta"]["version"]


def test_delete_answers_204_and_the_user_is_gone(admin: ScimClient) -> None:
    user = created(admin)
    answer = admin.delete(f"/Users/{user['id']}")
    assert answer.status_code == 204 and answer.content == b""
    assert_error(admin.get(f"/Users/{user['id']}"), 404)
    assert_error(admin.delete(f"/Users/{user['id']}"), 404)


def test_a_stored_value_scim_cannot_show_survives_a_patch(
    rest_server: LiveServer, admin: ScimClient
) -> None:
    """A URL claim set over SOAP that is no URI is left out of the resource, and kept."""
    url_claim = "http://wso2.org/claims/url"
    name = active_user(rest_server, claims={url_claim: "not a url"})
    found = admin.get("/Users", params={"filter": f'userName eq "{name}"'}).json()
    user = found["Resources"][0]
    assert "profileUrl" not in user
    answer = admin.patch(f"/Users/{user['id']}", [{"op": "add", "path": "title", "value": "T"}])
    assert answer.status_code == 200, answer.text
    env = rest_server.app.env
    with env.uow(readonly=True) as uow:
        stored = uow.users.claims(uow.users.by_id(int(user["id"])))
    assert stored[url_claim] == "not a url"


def test_concurrent_patches_lose_no_update(admin: ScimClient) -> None:
    """Without If-Match, a patch that raced another one is applied to the winner's result."""
    user = created(admin)
    attributes = ["nickName", "title", "displayName", "locale", "timezone"]

    def patch(attribute: str) -> int:
        operation = [{"op": "add", "path": attribute, "value": f"set-{attribute}"}]
        return admin.patch(f"/Users/{user['id']}", operation).status_code

    with ThreadPoolExecutor(len(attributes)) as pool:
        statuses = list(pool.map(patch, attributes))
    assert statuses == [200] * len(attributes)
    final = admin.get(f"/Users/{user['id']}").json()
    assert {a: final.get(a) for a in attributes} == {a: f"set-{a}" for a in attributes}


def test_changes_are_audited_with_the_client_and_without_values(
    rest_server: LiveServer, admin: ScimClient
) -> None:
    user = created(admin, password=PASSWORD)
    path = f"/Users/{user['id']}"
    admin.patch(path, [{"op": "add", "path": "nickName", "value": "Secret-Nick"}])
    admin.patch(path, [{"op": "replace", "path": "password", "value": "New#Pass456"}])
    admin.delete(path)
    with rest_server.app.engine.connect() as connection:
        events = audit_listing(connection, username=user["userName"])
    kinds = [e.event for e in reversed(events)]
    assert kinds == ["user_created", "profile_updated", "password_changed", "user_deleted"]
    assert {e.caller for e in events} == {rest_server.auth[0]}
    assert all(e.tenant == "carbon.super" and e.outcome == "success" for e in events)
    details = " ".join(e.detail or "" for e in events)
    assert "nickname" in details
    assert "Secret-Nick" not in details and "New#Pass456" not in details


# --- ETags --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
def test_a_stale_if_match_is_412_and_changes_nothing(admin: ScimClient, method: str) -> None:
    user = created(admin)
    stale = user["meta"]["version"]
    admin.patch(f"/Users/{user['id']}", [{"op": "add", "path": "nickName", "value": "moved"}])
    current = admin.get(f"/Users/{user['id']}").json()
    bodies = {
        "PATCH": {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "title", "value": "x"}],
        },
        "PUT": {"schemas": [USER_SCHEMA], "userName": user["userName"]},
        "DELETE": None,
    }
    answer = admin.call(method, f"/Users/{user['id']}", bodies[method], headers={"If-Match": stale})
    assert_error(answer, 412)
    assert admin.get(f"/Users/{user['id']}").json() == current


def test_a_current_if_match_is_honoured(admin: ScimClient) -> None:
    user = created(admin)
    answer = admin.patch(
        f"/Users/{user['id']}",
        [{"op": "add", "path": "nickName", "value": "v2"}],
        headers={"If-Match": user["meta"]["version"]},
    )
    assert answer.status_code == 200, answer.text
    deleted = admin.delete(f"/Users/{user['id']}", headers={"If-Match": answer.headers["ETag"]})
    assert deleted.status_code == 204


def test_if_none_match_with_the_current_version_is_304(admin: ScimClient) -> None:
    user = created(admin)
    answer = admin.get(f"/Users/{user['id']}", headers={"If-None-Match": user["meta"]["version"]})
    assert answer.status_code == 304 and answer.headers["ETag"] == user["meta"]["version"]


def test_the_version_changes_with_a_password_change_only_resource(admin: ScimClient) -> None:
    user = created(admin, password=PASSWORD)
    answer = admin.patch(
        f"/Users/{user['id']}", [{"op": "replace", "path": "password", "value": "New#Pass456"}]
    )
    assert answer.status_code == 200
    assert answer.json()["meta"]["version"] != user["meta"]["version"]


# --- scopes and token kinds -------------------------------------------------------------


OPERATIONS = [
    ("GET", "", None, "internal_user_mgt_list"),
    ("POST", "", "create", "internal_user_mgt_create"),
    ("POST", "/.search", "search", "internal_user_mgt_list"),
    ("GET", "/{id}", None, "internal_user_mgt_view"),
    ("PUT", "/{id}", "put", "internal_user_mgt_update"),
    ("PATCH", "/{id}", "patch", "internal_user_mgt_update"),
    ("DELETE", "/{id}", None, "internal_user_mgt_delete"),
]


def _body(kind: str | None, name: str) -> dict | None:
    return {
        None: None,
        "create": user_body(),
        "search": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]},
        "put": {"schemas": [USER_SCHEMA], "userName": name},
        "patch": {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "nickName", "value": "s"}],
        },
    }[kind]


@pytest.mark.parametrize(("method", "path", "body", "scope"), OPERATIONS)
def test_each_operation_needs_its_scope(
    rest_server: LiveServer, admin: ScimClient, method: str, path: str, body: str, scope: str
) -> None:
    user = created(admin)
    target = "/Users" + path.format(id=user["id"])
    others = [s for s in MANAGEMENT if s != scope]
    refused = manager(rest_server, others).call(method, target, _body(body, user["userName"]))
    assert_error(refused, 403)
    assert "insufficient_scope" in refused.headers["WWW-Authenticate"]
    allowed = manager(rest_server, [scope]).call(method, target, _body(body, user["userName"]))
    assert allowed.status_code in (200, 201, 204), allowed.text


def test_a_user_token_cannot_manage_users(rest_server: LiveServer) -> None:
    name = active_user(rest_server)
    token = user_token(rest_server, name, PASSWORD, ["internal_login"])
    answer = ScimClient(rest_server, token).get("/Users")
    assert answer.status_code == 403


def test_no_token_is_401_on_users(rest_server: LiveServer) -> None:
    answer = ScimClient(rest_server, None).get("/Users")
    assert_error(answer, 401)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/Users", "GET, POST"),
        ("POST", "/Users/1", "GET, PUT, PATCH, DELETE"),
        ("GET", "/Users/.search", "POST"),
    ],
)
def test_wrong_methods_are_405_with_allow(
    admin: ScimClient, method: str, path: str, allow: str
) -> None:
    answer = admin.call(method, path, {} if method == "POST" else None)
    assert_error(answer, 405)
    assert answer.headers["Allow"] == allow


# --- attributes -------------------------------------------------------------------------


def test_attributes_and_excluded_attributes_shape_the_resource(admin: ScimClient) -> None:
    user = created(admin, nickName="n")
    only = admin.get(f"/Users/{user['id']}", params={"attributes": "userName,name.givenName"})
    assert only.status_code == 200
    assert set(only.json()) == {"schemas", "id", "userName", "name"}
    assert only.json()["name"] == {"givenName": "Ada"}
    without = admin.get(f"/Users/{user['id']}", params={"excludedAttributes": "emails,name"})
    assert "emails" not in without.json() and "name" not in without.json()
    assert without.json()["nickName"] == "n"
    bad = admin.get(f"/Users/{user['id']}", params={"attributes": "name["})
    assert_error(bad, 400, "invalidPath")


def test_users_on_a_bearer_header_in_any_case(admin: ScimClient) -> None:
    """The scheme name is case-insensitive (RFC 6750 uses the RFC 7235 syntax)."""
    headers = {
        "Authorization": bearer(admin.token or "")["Authorization"].replace("Bearer", "bearer")
    }
    answer = ScimClient(admin.server, None).get("/Users", headers=headers, params={"count": "1"})
    assert answer.status_code == 200
