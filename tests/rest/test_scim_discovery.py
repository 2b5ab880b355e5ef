"""Discovery (RFC 7644 section 4): what the service says it supports is what it does; unknown
paths, wrong methods and unsupported features answer SCIM errors."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import LiveServer
from tests.rest.test_scim_support import (
    ENTERPRISE,
    USER_SCHEMA,
    ScimClient,
    assert_error,
    manager,
)


@pytest.fixture
def anonymous(rest_server: LiveServer) -> ScimClient:
    return ScimClient(rest_server, None)


def test_service_provider_config_is_honest(anonymous: ScimClient) -> None:
    answer = anonymous.get("/ServiceProviderConfig")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/scim+json")
    config = answer.json()
    assert config["patch"] == {"supported": True}
    assert config["bulk"]["supported"] is False
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert config["sort"] == {"supported": False}
    assert config["etag"] == {"supported": True}
    assert config["changePassword"] == {"supported": True}
    assert [s["type"] for s in config["authenticationSchemes"]] == ["oauthbearertoken"]


def test_the_user_resource_type_names_the_enterprise_extension(anonymous: ScimClient) -> None:
    listed = anonymous.get("/ResourceTypes").json()
    assert listed["totalResults"] == 1
    user = anonymous.get("/ResourceTypes/User").json()
    assert user == listed["Resources"][0]
    assert (user["endpoint"], user["schema"]) == ("/Users", USER_SCHEMA)
    assert user["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]


def test_schemas_list_only_the_attributes_kept(anonymous: ScimClient) -> None:
    listed = anonymous.get("/Schemas").json()
    ids = {s["id"] for s in listed["Resources"]}
    assert {USER_SCHEMA, ENTERPRISE} <= ids
    assert {"urn:ietf:params:scim:schemas:core:2.0:Schema"} <= ids
    user = anonymous.get(f"/Schemas/{USER_SCHEMA}").json()
    attributes = {a["name"]: a for a in user["attributes"]}
    assert "x509Certificates" not in attributes and "groups" not in attributes
    assert attributes["password"]["mutability"] == "writeOnly"
    assert attributes["password"]["returned"] == "never"
    phones = {s["name"]: s for s in attributes["phoneNumbers"]["subAttributes"]}
    assert phones["type"]["canonicalValues"] == ["work", "mobile", "other"]
    enterprise = anonymous.get(f"/Schemas/{ENTERPRISE}").json()
    assert {a["name"] for a in enterprise["attributes"]} == {
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
    }


@pytest.mark.parametrize(
    "path",
    ["/Schemas/urn:nothing", "/ResourceTypes/Group", "/Groups", "/Nowhere", "", "/Users/1/x"],
)
def test_unknown_paths_are_scim_404(rest_server: LiveServer, path: str) -> None:
    assert_error(manager(rest_server).get(path), 404)


@pytest.mark.parametrize("path", ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_discovery_is_read_only(anonymous: ScimClient, path: str, method: str) -> None:
    answer = anonymous.call(method, path, None if method == "DELETE" else {})
    assert_error(answer, 405)
    assert answer.headers["Allow"] == "GET"


def test_bulk_is_not_implemented(rest_server: LiveServer) -> None:
    assert_error(manager(rest_server).post("/Bulk", {"Operations": []}), 501)


def test_a_body_of_another_media_type_is_415(rest_server: LiveServer) -> None:
    client = manager(rest_server)
    raw = requests.post(
        rest_server.url + "/scim2/Users",
        data=b"userName=x",
        headers={"Content-Type": "text/plain", "Authorization": f"Bearer {client.token}"},
        timeout=30,
    )
    assert_error(raw, 415)
