"""The SCIM 2.0 endpoint: routes every path under ``/scim2/`` (RFC 7644), checks the bearer token
and its tenant, and hands each request to a resource operation.

    /Me                      GET PUT PATCH        the token's user (scope internal_login)
    /Users                   GET POST             list/filter, create (internal_user_mgt_*)
    /Users/.search, /.search POST                 search by a SearchRequest body
    /Users/<id>              GET PUT PATCH DELETE
    /ServiceProviderConfig, /ResourceTypes[/User], /Schemas[/<uri>]   discovery, no token
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from recovery_soap.config import Settings
from recovery_soap.core.model import Caller
from recovery_soap.core.services import Services
from recovery_soap.rest.bearer import BearerVerifier, Principal
from recovery_soap.rest.http import SCIM_MEDIA, json_body, json_response
from recovery_soap.rest.scim import discovery
from recovery_soap.rest.scim.errors import ScimFailure, to_response
from recovery_soap.rest.scim.operations import Operations, Target

LOGIN = "internal_login"
SCOPES = {
    "list": "internal_user_mgt_list",
    "view": "internal_user_mgt_view",
    "create": "internal_user_mgt_create",
    "update": "internal_user_mgt_update",
    "delete": "internal_user_mgt_delete",
}
ADDRESS_KEY = "recovery_soap.client_address"


def _not_allowed(allowed: str) -> ScimFailure:
    failure = ScimFailure(405, f"Method not allowed; use {allowed}")
    failure.allow = allowed  # type: ignore[attr-defined]
    return failure


class ScimEndpoint:
    """Answers every request under ``/scim2/`` (and ``/t/<tenant>/scim2/``)."""

    def __init__(self, env: Services, verifier: BearerVerifier, settings: Settings) -> None:
        self.env = env
        self.verifier = verifier
        self.settings = settings
        self.operations = Operations(env)

    def __call__(self, request: Request, tenant_domain: str | None) -> Response:
        try:
            return self._route(request, tenant_domain)
        except Exception as error:
            response = to_response(error)
            if response is None:
                raise  # the REST face answers 500 (or 503) without a trace
            allow = getattr(error, "allow", None)
            if allow:
                response.headers["Allow"] = allow
            return response

    def _route(self, request: Request, tenant_domain: str | None) -> Response:
        prefix = f"/t/{tenant_domain}/scim2" if tenant_domain else "/scim2"
        base = request.host_url.rstrip("/") + prefix
        rest = request.path[len(prefix) :] if request.path.startswith(prefix) else ""
        parts = [p for p in rest.split("/") if p]
        method = request.method
        if not parts:
            raise ScimFailure(404, "Resource not found")
        head = parts[0]
        if head in ("ServiceProviderConfig", "ResourceTypes", "Schemas"):
            if method not in ("GET", "HEAD"):
                raise _not_allowed("GET")
            return self._discovery(head, parts[1:], base)
        if head == "Bulk":
            raise ScimFailure(501, "Bulk operations are not supported")
        if head == ".search" and len(parts) == 1:
            # A search of every resource type (RFC 7644 3.4.3): User is the only one.
            return self._users(request, tenant_domain, base, parts)
        if head == "Me" and len(parts) == 1:
            return self._me(request, tenant_domain, base)
        if head == "Me" and parts[1:] == ["emailVerification"]:
            return self._me(request, tenant_domain, base, verify_email=True)
        if head == "Users":
            return self._users(request, tenant_domain, base, parts[1:])
        raise ScimFailure(404, "Resource not found")

    # --- tokens -------------------------------------------------------------------------------

    def _principal(self, request: Request, tenant_domain: str | None, scope: str) -> Principal:
        principal = self.verifier.verify(request, [scope])
        if tenant_domain is not None and tenant_domain.lower() != principal.tenant.domain:
            # A token is good for its own tenant only; another tenant's path is refused.
            raise ScimFailure(403, "The token is not valid for this tenant")
        return principal

    def _caller(self, request: Request, principal: Principal) -> Caller:
        """The core's caller: the core decides what it may do (core/authorisation.py)."""
        address = str(request.environ.get(ADDRESS_KEY) or request.remote_addr or "")
        return principal.caller(address)

    # --- resources ----------------------------------------------------------------------------

    def _me(
        self, request: Request, tenant_domain: str | None, base: str, verify_email: bool = False
    ) -> Response:
        allowed = ("POST",) if verify_email else ("GET", "HEAD", "PUT", "PATCH")
        if request.method not in allowed:
            raise _not_allowed("POST" if verify_email else "GET, PUT, PATCH")
        principal = self._principal(request, tenant_domain, LOGIN)
        if principal.user_id is None:
            raise ScimFailure(403, "/Me needs a token issued to a user, not to a service")
        target = self.operations.own(principal.tenant, principal.user_id, base)
        if verify_email:  # the code mailed to a new address (setting email_change_verification)
            caller = self._caller(request, principal)
            return self.operations.confirm_email(caller, target, self._body(request))
        return self._resource(request, principal, target)

    def _users(
        self, request: Request, tenant_domain: str | None, base: str, parts: list[str]
    ) -> Response:
        method = request.method
        if not parts:
            if method in ("GET", "HEAD"):
                principal = self._service(request, tenant_domain, "list")
                caller = self._caller(request, principal)
                return self.operations.search(caller, request.args, base)
            if method == "POST":
                principal = self._service(request, tenant_domain, "create")
                body = self._body(request)
                return self.operations.create(self._caller(request, principal), body, base)
            raise _not_allowed("GET, POST")
        if len(parts) != 1:
            raise ScimFailure(404, "Resource not found")
        if parts[0] == ".search":
            if method != "POST":
                raise _not_allowed("POST")
            principal = self._service(request, tenant_domain, "list")
            caller = self._caller(request, principal)
            return self.operations.search_body(caller, self._body(request), base)
        scope = {"GET": "view", "HEAD": "view", "PUT": "update", "PATCH": "update"}.get(method)
        if method == "DELETE":
            scope = "delete"
        if scope is None:
            raise _not_allowed("GET, PUT, PATCH, DELETE")
        principal = self._service(request, tenant_domain, scope)
        target = self.operations.by_id(principal.tenant, parts[0], base)
        return self._resource(request, principal, target)

    def _service(self, request: Request, tenant_domain: str | None, action: str) -> Principal:
        principal = self._principal(request, tenant_domain, SCOPES[action])
        if principal.is_user:
            raise ScimFailure(403, "/Users needs a service token (client credentials)")
        return principal

    def _resource(self, request: Request, principal: Principal, target: Target) -> Response:
        operations, method = self.operations, request.method
        caller = self._caller(request, principal)
        if method in ("GET", "HEAD"):
            return operations.show(
                caller, target, request.args, request.headers.get("If-None-Match")
            )
        if_match = request.headers.get("If-Match")
        if method == "DELETE":
            return operations.delete(caller, target, if_match)
        body = self._body(request)
        if method == "PUT":
            return operations.replace(caller, target, body, if_match)
        return operations.patch(caller, target, body, if_match)

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        body = json_body(request)
        if body is None:
            raise ScimFailure(400, "The body must be a JSON object", "invalidSyntax")
        return body

    # --- discovery ----------------------------------------------------------------------------

    def _discovery(self, head: str, rest: list[str], base: str) -> Response:
        if head == "ServiceProviderConfig" and not rest:
            return _json(discovery.dump(discovery.service_provider_config(base)))
        if head == "ResourceTypes":
            return _listed(discovery.resource_types(base), rest, key=lambda r: str(r.id))
        if head == "Schemas":
            return _listed(discovery.schemas(base), rest, key=lambda s: str(s.id))
        raise ScimFailure(404, "Resource not found")


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return json_response(payload, status, headers, SCIM_MEDIA)


def _listed(items: list[Any], rest: list[str], key: Any) -> Response:
    if len(rest) > 1:
        raise ScimFailure(404, "Resource not found")
    if rest:
        for item in items:
            if key(item) == rest[0]:
                return _json(discovery.dump(item))
        raise ScimFailure(404, "Resource not found")
    return _json(
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": len(items),
            "startIndex": 1,
            "itemsPerPage": len(items),
            "Resources": [discovery.dump(item) for item in items],
        }
    )
