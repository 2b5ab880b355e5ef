"""The operations on User resources: show, search, create, replace, patch, delete.

A change works on the profile as a scim2-models User (PATCH is applied by scim2-models) inside
the core's write transaction, with the user's row held, and reads the result back into claims
(mapping.py) for the core to check and write: concurrent changes apply one after the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scim2_models import (
    Context,
    ListResponse,
    PatchOp,
    ResponseParameters,
    ScimPolicy,
    SearchRequest,
)
from werkzeug.wrappers import Response

from recovery_soap.core import directory
from recovery_soap.core.model import Caller, Tenant
from recovery_soap.core.profiles import Profile, ProfileChange
from recovery_soap.core.services import Services
from recovery_soap.rest.http import SCIM_MEDIA, json_response
from recovery_soap.rest.scim import filters, mapping
from recovery_soap.rest.scim.errors import ScimFailure
from recovery_soap.rest.scim.mapping import ScimUser

#: Paths whose filter matches no entry create it (a first work e-mail, a first mobile number).
POLICY = ScimPolicy(unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create)


@dataclass(frozen=True)
class Target:
    """The user a request is about, and where its resource lives."""

    tenant: Tenant
    user_id: int
    location: str


def _version(header: str | None) -> str | None:
    """The version an If-Match / If-None-Match names; None for none or ``*``."""
    if header is None or header.strip() in ("", "*"):
        return None
    first = header.split(",")[0].strip()
    return first.removeprefix("W/").strip('"')


def _parameters(args: Mapping[str, str]) -> Any:
    given = {
        key: args[key] for key in ("attributes", "excludedAttributes") if args.get(key, "").strip()
    }
    return ResponseParameters[ScimUser].model_validate(given) if given else None


def _answer(
    profile: Profile,
    location: str,
    context: Context,
    status: int = 200,
    parameters: Any = None,
) -> Response:
    resource = mapping.to_resource(profile, location)
    payload = resource.model_dump(scim_ctx=context, response_parameters=parameters)
    headers = {"ETag": mapping.etag(profile)}
    if status == 201:
        headers["Location"] = location
    return json_response(payload, status, headers, SCIM_MEDIA)


def _int(args: Mapping[str, str], name: str) -> int | None:
    value = args.get(name)
    if value is None or not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise ScimFailure(400, f"{name} must be an integer", "invalidValue") from None


class Operations:
    def __init__(self, env: Services) -> None:
        self.env = env

    # --- reading ------------------------------------------------------------------------------

    def own(self, tenant: Tenant, user_id: int, base: str) -> Target:
        """The token's own user, by the id the token names (never by a name)."""
        return Target(tenant, user_id, f"{base}/Users/{user_id}")

    def by_id(self, tenant: Tenant, resource_id: str, base: str) -> Target:
        if not resource_id.isdigit() or len(resource_id) > 18:
            raise ScimFailure(404, "Resource not found")
        return Target(tenant, int(resource_id), f"{base}/Users/{int(resource_id)}")

    def show(
        self,
        caller: Caller,
        target: Target,
        args: Mapping[str, str],
        if_none_match: str | None,
    ) -> Response:
        parameters = _parameters(args)
        profile = directory.read(self.env, caller, target.user_id)
        if if_none_match and _version(if_none_match) == profile.version:
            return Response(status=304, headers={"ETag": mapping.etag(profile)})
        return _answer(
            profile, target.location, Context.RESOURCE_QUERY_RESPONSE, parameters=parameters
        )

    def search(self, caller: Caller, args: Mapping[str, str], base: str) -> Response:
        request = {
            "filter": args.get("filter"),
            "startIndex": _int(args, "startIndex"),
            "count": _int(args, "count"),
            "attributes": args.get("attributes") or None,
            "excludedAttributes": args.get("excludedAttributes") or None,
        }
        return self._search(caller, {k: v for k, v in request.items() if v is not None}, base)

    def search_body(self, caller: Caller, body: dict[str, Any], base: str) -> Response:
        return self._search(caller, body, base)

    def _search(self, caller: Caller, given: dict[str, Any], base: str) -> Response:
        query = SearchRequest[ScimUser].model_validate(given, scim_ctx=Context.SEARCH_REQUEST)
        conditions = filters.conditions(query.filter)
        page = directory.search(self.env, caller, conditions, query.start_index or 1, query.count)
        resources = [mapping.to_resource(p, f"{base}/Users/{p.id}") for p in page.profiles]
        listed = ListResponse[ScimUser](
            total_results=page.total,
            start_index=page.start_index,
            items_per_page=len(resources),
            resources=resources or None,
        )
        payload = listed.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=query)
        payload.setdefault("Resources", [])
        return json_response(payload, 200, None, SCIM_MEDIA)

    # --- writing ------------------------------------------------------------------------------

    def create(self, caller: Caller, body: dict[str, Any], base: str) -> Response:
        resource = ScimUser.model_validate(body, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
        wanted = mapping.wanted(resource)
        if not wanted.username:
            raise ScimFailure(400, "userName is required", "invalidValue")
        profile = directory.create(
            self.env,
            caller,
            wanted.username,
            wanted.password,
            mapping.claims_only(wanted.claims),
            active=True if wanted.active is None else wanted.active,
        )
        location = f"{base}/Users/{profile.id}"
        return _answer(profile, location, Context.RESOURCE_CREATION_RESPONSE, 201)

    def replace(
        self,
        caller: Caller,
        target: Target,
        body: dict[str, Any],
        if_match: str | None,
    ) -> Response:
        resource = ScimUser.model_validate(body, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
        expected = _version(if_match)

        def change(current: Any) -> Any:
            return resource

        profile = self._rewrite(caller, target, change, expected)
        return _answer(profile, target.location, Context.RESOURCE_REPLACEMENT_RESPONSE)

    def patch(
        self,
        caller: Caller,
        target: Target,
        body: dict[str, Any],
        if_match: str | None,
    ) -> Response:
        operations = PatchOp[ScimUser].model_validate(
            body, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
        )
        expected = _version(if_match)

        def change(current: Any) -> Any:
            operations.patch(current, POLICY)
            if current.active is None:
                # An account is active or not, with no third state: a removed `active` leaves
                # the default a user created without it gets (active, i.e. unlocked).
                current.active = True
            return current

        profile = self._rewrite(caller, target, change, expected)
        return _answer(profile, target.location, Context.RESOURCE_PATCH_RESPONSE)

    def confirm_email(self, caller: Caller, target: Target, body: dict[str, Any]) -> Response:
        code = body.get("code")
        if not isinstance(code, str):
            raise ScimFailure(400, "The body must give the code as a string", "invalidValue")
        profile = directory.confirm_email_change(self.env, caller, target.user_id, code)
        return _answer(profile, target.location, Context.RESOURCE_QUERY_RESPONSE)

    def delete(self, caller: Caller, target: Target, if_match: str | None) -> Response:
        directory.delete(self.env, caller, target.user_id, _version(if_match))
        return Response(status=204)

    def _rewrite(
        self,
        caller: Caller,
        target: Target,
        change: Any,
        expected: str | None,
    ) -> Profile:
        """Change the resource as it stands inside the write transaction (no lost update)."""

        def revise(profile: Profile) -> ProfileChange:
            resource = mapping.to_resource(profile, target.location)
            shown = mapping.wanted(resource).claims
            wanted = mapping.wanted(change(resource))
            return ProfileChange(
                # Only what the request changed: a stored value the resource could not show
                # (a URL claim that is no URI, set over SOAP) is kept, not cleared.
                claims={uri: v for uri, v in wanted.claims.items() if shown.get(uri) != v},
                password=wanted.password,
                username=wanted.username or profile.username,
                active=wanted.active,
            )

        # What a user may change of their own profile is the core's rule
        # (profiles.check_own_change), whatever path the request took.
        return directory.replace(self.env, caller, target.user_id, revise, expected)
