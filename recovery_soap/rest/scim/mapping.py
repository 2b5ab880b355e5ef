"""Claims of the ``http://wso2.org/claims`` dialect <-> SCIM 2.0 User attributes, in one table.

A profile holds one value per claim, so the multi-valued SCIM attributes hold at most one entry
per type: one work e-mail, a work, mobile and other phone, one IM, one work address. Challenge
answers and account-state claims are never mapped. ``password`` is write-only: read from a
request, never put into a resource.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from scim2_models import (
    Address,
    Email,
    EnterpriseUser,
    InvalidValueException,
    Meta,
    Name,
    PhoneNumber,
    User,
)

from recovery_soap.core.claims import DIALECT
from recovery_soap.core.profiles import Profile


class ProfileEmail(Email):
    """An e-mail address checked by the core's rule, like every other face's: pydantic's EmailStr
    would refuse addresses the SOAP face stores (``user@corp.local``, ``a@example.test``)."""

    value: str | None = None


class ProfileUser(User):  # type: ignore[type-arg]  # parametrized below, as User is
    """The core User schema, with e-mail values as the profile keeps them."""

    emails: list[ProfileEmail] | None = None  # type: ignore[assignment]


ScimUser = ProfileUser[EnterpriseUser]  # type: ignore[type-arg]
ENTERPRISE = str(EnterpriseUser.__schema__)


def _claim(suffix: str) -> str:
    return f"{DIALECT}/{suffix}"


#: SCIM attribute path -> claim URI. The README's table is this one.
CLAIMS: dict[str, str] = {
    "externalId": _claim("externalid"),
    "name.givenName": _claim("givenname"),
    "name.familyName": _claim("lastname"),
    "name.formatted": _claim("fullname"),
    "displayName": _claim("displayName"),
    "nickName": _claim("nickname"),
    "profileUrl": _claim("url"),
    "title": _claim("title"),
    "preferredLanguage": _claim("preferredLanguage"),
    "locale": _claim("local"),
    "timezone": _claim("timeZone"),
    'emails[type eq "work"].value': _claim("emailaddress"),
    'phoneNumbers[type eq "work"].value': _claim("telephone"),
    'phoneNumbers[type eq "mobile"].value': _claim("mobile"),
    'phoneNumbers[type eq "other"].value': _claim("otherphone"),
    "ims.value": _claim("im"),
    'addresses[type eq "work"].streetAddress': _claim("streetaddress"),
    'addresses[type eq "work"].locality': _claim("locality"),
    'addresses[type eq "work"].region': _claim("region"),
    'addresses[type eq "work"].postalCode': _claim("postalcode"),
    'addresses[type eq "work"].country': _claim("country"),
    f"{ENTERPRISE}:organization": _claim("organization"),
    f"{ENTERPRISE}:department": _claim("department"),
    f"{ENTERPRISE}:division": _claim("division"),
    f"{ENTERPRISE}:costCenter": _claim("costCenter"),
    f"{ENTERPRISE}:employeeNumber": _claim("employeeNumber"),
}
MAPPED_CLAIMS = frozenset(CLAIMS.values())

_FILTERED = re.compile(r'^(?P<attribute>\w+)\[type eq "(?P<type>\w+)"\]\.(?P<sub>\w+)$')


def _field(scim_name: str) -> str:
    """The scim2-models field name of a SCIM attribute name (``costCenter`` -> ``cost_center``)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", scim_name).lower()


def _part(prefix: str) -> dict[str, str]:
    """Field name -> claim of the table's rows under ``prefix``."""
    return {_field(k[len(prefix) :]): uri for k, uri in CLAIMS.items() if k.startswith(prefix)}


def _typed(attribute: str) -> dict[tuple[str, str], str]:
    """(type, sub-attribute field) -> claim of the table's ``attribute[type eq "T"].sub`` rows."""
    rows = {}
    for key, uri in CLAIMS.items():
        match = _FILTERED.match(key)
        if match and match["attribute"] == attribute:
            rows[(match["type"], _field(match["sub"]))] = uri
    return rows


# The table read by structure, by scim2-models field names.
_SIMPLE = {_field(k): uri for k, uri in CLAIMS.items() if re.fullmatch(r"\w+", k)}
_NAME = _part("name.")
_ENTERPRISE = _part(f"{ENTERPRISE}:")
_EMAIL = _typed("emails")[("work", "value")]
_PHONES = {kind: uri for (kind, _), uri in _typed("phoneNumbers").items()}
_ADDRESS = {sub: uri for (_, sub), uri in _typed("addresses").items()}
_IM = CLAIMS["ims.value"]
#: Attributes of the User schema this service has no claim for: a request setting one is refused.
UNSUPPORTED = (
    "user_type",
    "photos",
    "groups",
    "entitlements",
    "roles",
    "x509_certificates",
)
_UNSUPPORTED_NAME = ("middle_name", "honorific_prefix", "honorific_suffix")


@dataclass(frozen=True)
class Wanted:
    """What a request asks the profile to be: every mapped claim (None: no value), the
    username, the password when one is set, and whether the account is active."""

    claims: dict[str, str | None]
    username: str | None
    password: str | None
    active: bool | None


def to_resource(profile: Profile, location: str) -> Any:
    """The SCIM User of a profile; a stored value the schema refuses is left out, not fatal."""
    claims = profile.claims
    payload: dict[str, Any] = {
        "schemas": [str(User.__schema__)],
        "id": str(profile.id),
        "userName": profile.username,
        "active": profile.active,
    }
    for field_name, uri in _SIMPLE.items():
        if claims.get(uri):
            payload[ScimUser._scim_name(field_name)] = claims[uri]
    name = {Name._scim_name(f): claims[uri] for f, uri in _NAME.items() if claims.get(uri)}
    if name:
        payload["name"] = name
    if claims.get(_EMAIL):
        payload["emails"] = [{"value": claims[_EMAIL], "type": "work"}]
    phones = [{"value": claims[uri], "type": t} for t, uri in _PHONES.items() if claims.get(uri)]
    if phones:
        payload["phoneNumbers"] = phones
    if claims.get(_IM):
        payload["ims"] = [{"value": claims[_IM]}]
    address = {Address._scim_name(f): claims[uri] for f, uri in _ADDRESS.items() if claims.get(uri)}
    if address:
        payload["addresses"] = [{**address, "type": "work"}]
    enterprise = {
        EnterpriseUser._scim_name(f): claims[uri]
        for f, uri in _ENTERPRISE.items()
        if claims.get(uri)
    }
    if enterprise:
        payload["schemas"].append(ENTERPRISE)
        payload[ENTERPRISE] = enterprise
    resource = _tolerant(ScimUser.model_validate, payload)
    resource.meta = Meta(
        resource_type="User",
        created=_utc(profile.created_at),
        last_modified=_utc(profile.password_changed_at or profile.created_at),
        location=location,
        version=etag(profile),
    )
    return resource


def _utc(moment: datetime | None) -> datetime | None:
    """Stored times are naive UTC; SCIM wants them with their zone."""
    return moment.replace(tzinfo=UTC) if moment is not None else None


def etag(profile: Profile) -> str:
    return f'W/"{profile.version}"'


def _tolerant(validate: Callable[[Any], Any], payload: dict[str, Any]) -> Any:
    """Validate, dropping the top-level attributes whose stored value the schema refuses
    (a URL claim set over SOAP that is no URI, say)."""
    for _ in range(len(payload)):
        try:
            return validate(payload)
        except ValidationError as error:
            bad = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
            bad -= {"schemas", "id", "userName"}
            if not bad:
                raise
            payload = {k: v for k, v in payload.items() if k not in bad}
    return validate(payload)


def _invalid(detail: str) -> InvalidValueException:
    return InvalidValueException(detail=detail)


def _assigned(value: Any) -> bool:
    return value is not None and value != [] and value != ""


def wanted(resource: Any) -> Wanted:
    """Read a request's User (created, replaced or patched) into claims; refuse what the
    profile cannot hold, naming the attribute."""
    for field_name in UNSUPPORTED:
        if _assigned(getattr(resource, field_name, None)):
            attribute = ScimUser._scim_name(field_name)
            raise _invalid(f"The attribute {attribute} is not supported by this service")
    claims: dict[str, str | None] = {uri: None for uri in MAPPED_CLAIMS}
    for field_name, uri in _SIMPLE.items():
        value = getattr(resource, field_name)
        claims[uri] = str(value) if _assigned(value) else None
    claims.update(_name_claims(resource.name))
    claims[_EMAIL] = _email(resource.emails or [])
    claims.update(_phones(resource.phone_numbers or []))
    ims = [im for im in resource.ims or [] if _assigned(im.value)]
    if len(ims) > 1:
        raise _invalid("Only one IM address is kept")
    claims[_IM] = ims[0].value if ims else None
    claims.update(_address(resource.addresses or []))
    claims.update(_enterprise_claims(resource[EnterpriseUser]))
    return Wanted(
        claims=claims,
        username=resource.user_name,
        password=resource.password,
        active=resource.active,
    )


def _name_claims(name: Any) -> dict[str, str | None]:
    """The claims of the ``name`` complex attribute (none when it is absent)."""
    if name is None:
        return {}
    for field_name in _UNSUPPORTED_NAME:
        if _assigned(getattr(name, field_name)):
            raise _invalid(f"The attribute name.{Name._scim_name(field_name)} is not supported")
    return {
        uri: value if _assigned(value := getattr(name, field_name)) else None
        for field_name, uri in _NAME.items()
    }


def _enterprise_claims(enterprise: Any) -> dict[str, str | None]:
    """The claims of the enterprise extension (none when it is absent)."""
    if enterprise is None:
        return {}
    if enterprise.manager is not None and _assigned(enterprise.manager.value):
        raise _invalid(f"The attribute {ENTERPRISE}:manager is not supported")
    return {
        uri: value if _assigned(value := getattr(enterprise, field_name)) else None
        for field_name, uri in _ENTERPRISE.items()
    }


def _type(entry: Any) -> str | None:
    kind = getattr(entry, "type", None)
    return None if kind is None else str(getattr(kind, "value", kind)).lower()


def _email(emails: list[Email]) -> str | None:
    given = [e for e in emails if _assigned(e.value)]
    if len(given) > 1:
        raise _invalid("Only one e-mail address (of type work) is kept")
    if not given:
        return None
    if _type(given[0]) not in (None, "work"):
        raise _invalid("The e-mail address must be of type work")
    return str(given[0].value)


def _phones(numbers: list[PhoneNumber]) -> dict[str, str | None]:
    found: dict[str, str | None] = {uri: None for uri in _PHONES.values()}
    for number in numbers:
        if not _assigned(number.value):
            continue
        kind = _type(number) or "work"
        if kind not in _PHONES:
            raise _invalid(f"Phone numbers of type {kind} are not kept (work, mobile, other)")
        if found[_PHONES[kind]] is not None:
            raise _invalid(f"Only one phone number of type {kind} is kept")
        found[_PHONES[kind]] = str(number.value)
    return found


def _address(addresses: list[Address]) -> dict[str, str | None]:
    given = [a for a in addresses if any(_assigned(getattr(a, f)) for f in _ADDRESS)]
    if len(given) > 1:
        raise _invalid("Only one address (of type work) is kept")
    if given and _type(given[0]) not in (None, "work"):
        raise _invalid("The address must be of type work")
    if given and _assigned(given[0].formatted):
        raise _invalid("The attribute addresses.formatted is not supported")
    return {
        uri: (getattr(given[0], f) if given and _assigned(getattr(given[0], f)) else None)
        for f, uri in _ADDRESS.items()
    }


def claims_only(wanted_claims: dict[str, str | None]) -> dict[str, str]:
    """The claims that hold a value (for a creation)."""
    return {uri: value for uri, value in wanted_claims.items() if value is not None}
