"""Helpers of the SCIM tests (this module holds no tests): a small SCIM client over requests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import requests

from tests.conftest import LiveServer, unique
from tests.rest.support import bearer, service_token, user_token

SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
MANAGEMENT = (
    "internal_user_mgt_list",
    "internal_user_mgt_view",
    "internal_user_mgt_create",
    "internal_user_mgt_update",
    "internal_user_mgt_delete",
)


@dataclass
class ScimClient:
    """Requests to one server's /scim2 (or /t/<tenant>/scim2) with one bearer token."""

    server: LiveServer
    token: str | None
    prefix: str = "/scim2"

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        sent = {"Accept": SCIM, **(bearer(self.token) if self.token else {})}
        data = None
        if body is not None:
            import json

            data = json.dumps(body)
            sent["Content-Type"] = SCIM
        sent.update(headers or {})
        url = path if path.startswith("http") else self.server.url + self.prefix + path
        return requests.request(method, url, data=data, headers=sent, params=params, timeout=30)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, body, **kwargs)

    def patch(
        self, path: str, operations: list[dict[str, Any]], **kwargs: Any
    ) -> requests.Response:
        return self.call("PATCH", path, {"schemas": [PATCH_OP], "Operations": operations}, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)


def manager(server: LiveServer, scopes: Iterable[str] = MANAGEMENT, **kwargs: Any) -> ScimClient:
    """A client with a service token carrying ``scopes``."""
    return ScimClient(server, service_token(server, list(scopes), auth=kwargs.get("auth")))


def own(server: LiveServer, username: str, password: str) -> ScimClient:
    """A client with a password-grant token of ``username`` (scope internal_login)."""
    return ScimClient(server, user_token(server, username, password, ["internal_login"]))


def user_body(name: str | None = None, **attributes: Any) -> dict[str, Any]:
    name = name or unique("scim")
    body: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "userName": name,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": f"{name}@example.test", "type": "work"}],
    }
    body.update(attributes)
    return body


def created(client: ScimClient, **attributes: Any) -> dict[str, Any]:
    """POST /Users and return the created resource."""
    answer = client.post("/Users", user_body(**attributes))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def assert_error(answer: requests.Response, status: int, scim_type: str | None = None) -> None:
    """A SCIM Error response: the status (as a string in the body) and the scimType."""
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith(SCIM)
    error = answer.json()
    assert error["schemas"] == [ERROR]
    assert error["status"] == str(status)
    assert error.get("scimType") == scim_type
    assert "Traceback" not in answer.text
