"""What the service publishes about itself (RFC 7644 section 4): its configuration, the User
resource type, and schemas that list only the attributes it keeps (see mapping.py)."""

from __future__ import annotations

import re
from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Filter,
    Meta,
    Patch,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    Sort,
    User,
)

from recovery_soap.core.directory import MAX_PAGE
from recovery_soap.rest.scim.mapping import CLAIMS, ENTERPRISE, ScimUser

#: Attributes kept that are not claims: the account itself.
ACCOUNT_ATTRIBUTES = ("userName", "active", "password")
_FILTERED = re.compile(r'^(?P<attribute>\w+)\[type eq "(?P<type>\w+)"\]\.(?P<sub>\w+)$')


def _published() -> tuple[dict[str, tuple[str, ...] | None], dict[str, list[str]], list[str]]:
    """From the claim table: attribute -> sub-attributes kept (None: a simple attribute), the
    types each typed attribute keeps, and the enterprise attributes."""
    keep: dict[str, list[str] | None] = dict.fromkeys(ACCOUNT_ATTRIBUTES)
    types: dict[str, list[str]] = {}
    enterprise: list[str] = []
    for key in CLAIMS:
        if key.startswith(f"{ENTERPRISE}:"):
            enterprise.append(key[len(ENTERPRISE) + 1 :])
        elif match := _FILTERED.match(key):
            subs = keep.setdefault(match["attribute"], []) or []
            keep[match["attribute"]] = [*subs, match["sub"], "type"]
            kinds = types.setdefault(match["attribute"], [])
            kinds += [match["type"]] if match["type"] not in kinds else []
        elif "." in key:
            attribute, sub = key.split(".", 1)
            keep[attribute] = [*(keep.get(attribute) or []), sub]
        else:
            keep[key] = None
    kept = {a: None if subs is None else tuple(dict.fromkeys(subs)) for a, subs in keep.items()}
    return kept, types, enterprise


USER_ATTRIBUTES, TYPES, ENTERPRISE_ATTRIBUTES = _published()


def _trimmed(schema: Schema, keep: dict[str, tuple[str, ...] | None]) -> Schema:
    attributes = []
    for attribute in schema.attributes or []:
        if attribute.name not in keep:
            continue
        subs = keep[attribute.name]
        if subs is not None:
            kept = [s for s in attribute.sub_attributes or [] if s.name in subs]
            for sub in kept:
                if sub.name == "type" and attribute.name in TYPES:
                    sub.canonical_values = TYPES[attribute.name]
            attribute.sub_attributes = kept
        attributes.append(attribute)
    schema.attributes = attributes
    return schema


def _located(schema: Schema, base: str) -> Schema:
    schema.meta = Meta(resource_type="Schema", location=f"{base}/Schemas/{schema.id}")
    return schema


def schemas(base: str) -> list[Schema]:
    user = _trimmed(User.to_schema(), USER_ATTRIBUTES)
    enterprise = _trimmed(EnterpriseUser.to_schema(), dict.fromkeys(ENTERPRISE_ATTRIBUTES))
    described = [user, enterprise]
    described += [m.to_schema() for m in (ServiceProviderConfig, ResourceType, Schema)]
    return [_located(s, base) for s in described]


def resource_types(base: str) -> list[ResourceType]:
    user = ResourceType.from_resource(ScimUser)
    user.meta = Meta(resource_type="ResourceType", location=f"{base}/ResourceTypes/User")
    return [user]


def service_provider_config(base: str) -> ServiceProviderConfig:
    """What is supported, as it is: PATCH, filters (eq/sw/co on userName and emails), ETags,
    password changes; no bulk operations, no sorting."""
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_PAGE),
        change_password=ChangePassword(supported=True),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme.model_validate(
                {
                    "type": "oauthbearertoken",
                    "name": "OAuth Bearer Token",
                    "description": "A bearer token from /oauth2/token (RFC 6750)",
                    "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
                    "primary": True,
                }
            )
        ],
        meta=Meta(resource_type="ServiceProviderConfig", location=f"{base}/ServiceProviderConfig"),
    )


def dump(obj: Any) -> dict[str, Any]:
    from scim2_models import Context

    return obj.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)  # type: ignore[no-any-return]
