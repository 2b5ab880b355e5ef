"""Tenant isolation: a token of one tenant never sees or touches another tenant's users, and a
``/t/<tenant>/`` path must name the token's own tenant."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import LiveServer, unique
from tests.rest.support import PASSWORD, active_user, oauth_client, service_token, user_token
from tests.rest.test_scim_support import (
    MANAGEMENT,
    USER_SCHEMA,
    ScimClient,
    assert_error,
    created,
    user_body,
)
from tests.soap.accounts import new_tenant


@dataclass
class Tenant:
    domain: str
    admin: ScimClient


def tenant_of(server: LiveServer) -> Tenant:
    domain = new_tenant(server)
    credentials = oauth_client(server, domain, scopes=MANAGEMENT)
    return Tenant(domain, ScimClient(server, service_token(server, MANAGEMENT, auth=credentials)))


@pytest.fixture
def tenants(rest_server: LiveServer) -> tuple[Tenant, Tenant]:
    return tenant_of(rest_server), tenant_of(rest_server)


def test_another_tenants_user_is_unknown_to_every_operation(
    tenants: tuple[Tenant, Tenant],
) -> None:
    a, b = tenants
    user = created(a.admin, nickName="mine")
    path = f"/Users/{user['id']}"
    assert_error(b.admin.get(path), 404)
    assert_error(b.admin.put(path, {"schemas": [USER_SCHEMA], "userName": "stolen"}), 404)
    assert_error(b.admin.patch(path, [{"op": "add", "path": "nickName", "value": "x"}]), 404)
    assert_error(b.admin.delete(path), 404)
    assert a.admin.get(path).json() == user


def test_lists_and_filters_hold_only_the_tokens_tenant(tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    mine = created(a.admin)
    created(b.admin)
    listed = a.admin.get("/Users").json()
    assert [u["userName"] for u in listed["Resources"]] == [mine["userName"]]
    theirs = b.admin.get("/Users", params={"filter": f'userName eq "{mine["userName"]}"'})
    assert theirs.json()["totalResults"] == 0
    search = b.admin.post("/.search", {"filter": f'emails co "{mine["userName"]}"'})
    assert search.json()["totalResults"] == 0


def test_the_same_username_may_live_in_two_tenants(tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    name = unique("twin")
    first, second = created(a.admin, name=name), created(b.admin, name=name)
    assert first["id"] != second["id"]


def test_a_tenant_path_must_name_the_tokens_tenant(
    rest_server: LiveServer, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    user = created(a.admin)
    own_path = ScimClient(rest_server, a.admin.token, prefix=f"/t/{a.domain}/scim2")
    answer = own_path.get(f"/Users/{user['id']}")
    assert answer.status_code == 200
    assert answer.json()["meta"]["location"].endswith(f"/t/{a.domain}/scim2/Users/{user['id']}")
    other_path = ScimClient(rest_server, b.admin.token, prefix=f"/t/{a.domain}/scim2")
    assert_error(other_path.get(f"/Users/{user['id']}"), 403)
    assert_error(other_path.get("/Users"), 403)
    assert_error(other_path.post("/Users", user_body()), 403)
    assert a.admin.get("/Users").json()["totalResults"] == 1


def test_me_on_another_tenants_path_is_refused(
    rest_server: LiveServer, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    name = active_user(rest_server, a.domain)
    client = oauth_client(rest_server, a.domain)
    token = user_token(rest_server, name, PASSWORD, ["internal_login"], auth=client)
    mine = ScimClient(rest_server, token, prefix=f"/t/{a.domain}/scim2").get("/Me")
    assert mine.status_code == 200 and mine.json()["userName"] == name
    assert_error(ScimClient(rest_server, token, prefix=f"/t/{b.domain}/scim2").get("/Me"), 403)


def test_a_username_cannot_claim_another_tenant(tenants: tuple[Tenant, Tenant]) -> None:
    """``bob@<tenant>`` is read as that tenant's bob by the legacy lookups: no user is named so."""
    a, b = tenants
    assert_error(b.admin.post("/Users", user_body(f"bob@{a.domain}")), 400, "invalidValue")
    user = created(b.admin)
    renamed = b.admin.put(
        f"/Users/{user['id']}", {"schemas": [USER_SCHEMA], "userName": f"bob@{a.domain}"}
    )
    assert_error(renamed, 400, "invalidValue")
