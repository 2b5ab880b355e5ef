"""Listing /scim2/Users: filters (eq, sw, co on userName and emails), pages, totals, and filter
values that try to widen the match or reach the SQL."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer, unique
from tests.rest.support import oauth_client, service_token
from tests.rest.test_scim_support import (
    MANAGEMENT,
    ScimClient,
    assert_error,
    created,
)
from tests.soap.accounts import new_tenant


@pytest.fixture
def tenant_admin(rest_server: LiveServer) -> ScimClient:
    """A service token of a tenant of its own, so lists hold only this test's users."""
    domain = new_tenant(rest_server)
    client = oauth_client(rest_server, domain, scopes=MANAGEMENT)
    return ScimClient(rest_server, service_token(rest_server, MANAGEMENT, auth=client))


def names(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [u["userName"] for u in answer.json()["Resources"]]


def test_list_pages_through_every_user_in_id_order(tenant_admin: ScimClient) -> None:
    made = [created(tenant_admin, name=f"page{i}-{unique()}")["userName"] for i in range(5)]
    whole = tenant_admin.get("/Users")
    assert names(whole) == made
    assert whole.json()["totalResults"] == 5 and whole.json()["startIndex"] == 1
    first = tenant_admin.get("/Users", params={"startIndex": "1", "count": "2"})
    assert names(first) == made[:2]
    assert (first.json()["totalResults"], first.json()["itemsPerPage"]) == (5, 2)
    last = tenant_admin.get("/Users", params={"startIndex": "5", "count": "2"})
    assert names(last) == made[4:]
    beyond = tenant_admin.get("/Users", params={"startIndex": "9"})
    assert names(beyond) == [] and beyond.json()["totalResults"] == 5
    # RFC 7644 3.4.2.4: startIndex below 1 is 1, a count of 0 answers only the total.
    assert names(tenant_admin.get("/Users", params={"startIndex": "0", "count": "1"})) == made[:1]
    none = tenant_admin.get("/Users", params={"count": "0"})
    assert names(none) == [] and none.json()["totalResults"] == 5


def test_bad_paging_numbers_are_invalid_values(tenant_admin: ScimClient) -> None:
    assert_error(tenant_admin.get("/Users", params={"count": "many"}), 400, "invalidValue")
    assert_error(tenant_admin.get("/Users", params={"startIndex": "1.5"}), 400, "invalidValue")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('userName eq "{a}"', ["a"]),
        ('userName eq "{A}"', ["a"]),
        ('userName sw "{prefix}"', ["a", "b", "c"]),
        ('userName co "{middle}"', ["b"]),
        ('emails eq "{a}@mail.example"', ["a"]),
        ('emails.value co "@other.example"', ["c"]),
        ('emails.value sw "{b}@"', ["b"]),
        ('userName sw "{prefix}" and emails co "mail.example"', ["a", "b"]),
        ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "{c}"', ["c"]),
        ('USERNAME Eq "{a}"', ["a"]),
    ],
)
def test_filters_select_users(tenant_admin: ScimClient, template: str, expected: list[str]) -> None:
    prefix = unique("flt")
    users = {
        "a": f"{prefix}-alpha",
        "b": f"{prefix}-mid_dle",
        "c": f"{prefix}-gamma",
    }
    domains = {"a": "mail.example", "b": "mail.example", "c": "other.example"}
    for key, name in users.items():
        created(tenant_admin, name=name, emails=[{"value": f"{name}@{domains[key]}"}])
    text = template.format(prefix=prefix, middle="mid_dle", A=users["a"].upper(), **users)
    answer = tenant_admin.get("/Users", params={"filter": text})
    assert names(answer) == [users[k] for k in expected]
    assert answer.json()["totalResults"] == len(expected)


@pytest.mark.parametrize(
    "value",
    [
        "%",
        "_",
        "\\\\",
        "' OR '1'='1",
        '\\" or userName pr or userName eq \\"',
        "x'); DROP TABLE users; --",
        "%' UNION SELECT password_hash FROM users --",
    ],
)
def test_filter_values_match_literally(tenant_admin: ScimClient, value: str) -> None:
    """Wildcards and quotes in a value widen nothing; SQL in a value is just text."""
    created(tenant_admin, name=unique("plain").replace("_", ""))
    for operator in ("eq", "sw", "co"):
        answer = tenant_admin.get("/Users", params={"filter": f'userName {operator} "{value}"'})
        assert names(answer) == [], (operator, value)
        emails = tenant_admin.get("/Users", params={"filter": f'emails {operator} "{value}"'})
        assert names(emails) == []
    assert tenant_admin.get("/Users").json()["totalResults"] == 1


def test_a_percent_sign_in_a_name_is_found_only_literally(tenant_admin: ScimClient) -> None:
    odd = created(tenant_admin, name=f"100%_{unique()}")["userName"]
    created(tenant_admin, name=f"100ab{unique()}")
    assert names(tenant_admin.get("/Users", params={"filter": 'userName sw "100%_"'})) == [odd]


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "a" or userName eq "b"',
        "userName pr",
        'userName gt "a"',
        'name.givenName eq "Ada"',
        'not (userName eq "a")',
        'emails[type eq "work"]',
        "userName eq",
        'userName eq "a") or (1 eq 1',
        "userName eq 1",
        "x" * 2000,
    ],
)
def test_unsupported_or_broken_filters_are_invalid_filter(
    tenant_admin: ScimClient, text: str
) -> None:
    assert_error(tenant_admin.get("/Users", params={"filter": text}), 400, "invalidFilter")


def test_external_id_is_matched_exactly(tenant_admin: ScimClient) -> None:
    """Provisioning clients find their users by externalId: eq, case-sensitive."""
    external = unique("Ext")
    user = created(tenant_admin, externalId=external)
    created(tenant_admin, externalId=external.lower())
    found = tenant_admin.get("/Users", params={"filter": f'externalId eq "{external}"'})
    assert names(found) == [user["userName"]]
    assert found.json()["Resources"][0]["externalId"] == external
    refused = tenant_admin.get("/Users", params={"filter": f'externalId sw "{external}"'})
    assert_error(refused, 400, "invalidFilter")


def test_search_by_post_takes_a_search_request(tenant_admin: ScimClient) -> None:
    user = created(tenant_admin)
    answer = tenant_admin.post(
        "/Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": f'userName eq "{user["userName"]}"',
            "attributes": ["userName"],
            "startIndex": 1,
            "count": 10,
        },
    )
    assert names(answer) == [user["userName"]]
    assert set(answer.json()["Resources"][0]) == {"schemas", "id", "userName"}
