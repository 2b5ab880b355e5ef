"""User-store attributes -> claim URIs: the legacy default mapping, overridable from a file.

One attribute may carry several claims: the legacy default dialect stores challenge data in
re-purposed attributes (``gender`` holds ``challengeQuestion1`` as well as the gender), and the
value's shape tells which (:func:`recovery_soap.core.legacy_records.claim_for_value`).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path

from recovery_soap.core.claims import DIALECT
from recovery_soap.core.legacy_records import claim_for_value
from recovery_soap.importer import SourceError

ClaimMap = dict[str, tuple[str, ...]]


def _uris(*suffixes: str) -> tuple[str, ...]:
    return tuple(f"{DIALECT}/{suffix}" for suffix in suffixes)


#: The legacy default dialect (BEHAVIOUR.md), inverted: attribute -> the claims stored in it.
DEFAULT_CLAIM_MAP: ClaimMap = {
    "givenName": _uris("givenname"),
    "sn": _uris("lastname"),
    "mail": _uris("emailaddress"),
    "organizationName": _uris("organization"),
    "streetAddress": _uris("streetaddress"),
    "country": _uris("country"),
    "telephoneNumber": _uris("telephone"),
    "mobile": _uris("mobile"),
    "im": _uris("im"),
    "url": _uris("url"),
    "role": _uris("role"),
    "gender": _uris("gender", "challengeQuestion1"),
    "title": _uris("title", "primaryChallengeQuestion"),
    "postalcode": _uris("postalcode"),
    "localityName": _uris("locality", "challengeQuestion2"),
    "region": _uris("region"),
    "dateOfBirth": _uris("dob"),
    "nickName": _uris("nickname"),
    "stateOrProvinceName": _uris("stateorprovince", "challengeQuestionUris"),
    "otherPhone": _uris("otherphone"),
    "cn": _uris("fullname"),
    "uid": _uris("username"),
    "accountLock": _uris("identity/accountLocked"),
    "displayName": _uris("displayName"),
}


def load_claim_map(path: str | Path | None) -> ClaimMap:
    """The default map, with the attributes named in ``path`` (JSON or TOML: attribute = claim
    URI or list of URIs; an empty string or list drops the attribute) replaced."""
    result = dict(DEFAULT_CLAIM_MAP)
    if path is None:
        return result
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
        loaded = tomllib.loads(text) if file.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise SourceError(f"cannot read the claim map {file}: {error}") from None
    if not isinstance(loaded, dict):
        raise SourceError(f"the claim map {file} must map attribute names to claim URIs")
    for attribute, claims in loaded.items():
        uris = [claims] if isinstance(claims, str) else claims
        if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
            raise SourceError(f"claim map: {attribute!r} must map to a claim URI or a list")
        kept = tuple(u.strip() for u in uris if u.strip())
        if any("://" not in u for u in kept):
            raise SourceError(f"claim map: {attribute!r} maps to something not a claim URI")
        if kept:
            result[attribute] = kept
        else:
            result.pop(attribute, None)
    return result


def claims_of(claim_map: ClaimMap, attributes: Mapping[str, str]) -> dict[str, str]:
    """A user's claims by URI from its attribute values; unmapped attributes are left out."""
    claims: dict[str, str] = {}
    for attribute, value in attributes.items():
        candidates = claim_map.get(attribute)
        claim = claim_for_value(candidates, value) if candidates else None
        if claim is not None:
            claims[claim] = value
    return claims
