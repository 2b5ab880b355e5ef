"""The claim dialect ``http://wso2.org/claims``: which claims exist, which a user may set."""

from __future__ import annotations

from recovery_soap.core.model import ClaimDefinition

DIALECT = "http://wso2.org/claims"
EMAIL = f"{DIALECT}/emailaddress"
GIVEN_NAME = f"{DIALECT}/givenname"
EXTERNAL_ID = f"{DIALECT}/externalid"
CHALLENGE_URIS = f"{DIALECT}/challengeQuestionUris"
CHALLENGE_SET_PREFIX = f"{DIALECT}/challengeQuestion"
ANSWER_SEPARATOR = "!"


def _claim(
    suffix: str,
    display: str,
    *,
    supported: bool = False,
    required: bool = False,
    read_only: bool = False,
    settable: bool = True,
) -> ClaimDefinition:
    return ClaimDefinition(
        uri=f"{DIALECT}/{suffix}",
        display_name=display,
        required=required,
        supported=supported,
        read_only=read_only,
        settable=settable and not read_only,
    )


#: The default dialect of the legacy server, in its order.
DEFAULT_CLAIMS: tuple[ClaimDefinition, ...] = (
    _claim("givenname", "First Name", supported=True, required=True),
    _claim("lastname", "Last Name", supported=True, required=True),
    _claim("emailaddress", "Email", supported=True, required=True),
    _claim("organization", "Organization", supported=True),
    _claim("streetaddress", "Address", supported=True),
    _claim("country", "Country", supported=True),
    _claim("telephone", "Telephone", supported=True),
    _claim("mobile", "Mobile", supported=True),
    _claim("im", "IM", supported=True),
    _claim("url", "URL", supported=True),
    _claim("role", "Role", supported=True, read_only=True),
    _claim("gender", "Gender"),
    _claim("title", "Title"),
    _claim("postalcode", "Postal Code"),
    _claim("locality", "Locality"),
    _claim("region", "Region"),
    _claim("dob", "Birth Date"),
    _claim("nickname", "Nick Name"),
    _claim("stateorprovince", "State"),
    _claim("otherphone", "Other Phone"),
    _claim("fullname", "Full Name"),
    _claim("displayName", "Display Name"),
    # Profile claims of WSO2's later dialect, reached through SCIM 2.0 (rest/scim/mapping.py).
    _claim("local", "Locale"),
    _claim("timeZone", "Time Zone"),
    _claim("preferredLanguage", "Preferred Language"),
    _claim("department", "Department"),
    _claim("employeeNumber", "Employee Number"),
    _claim("costCenter", "Cost Center"),
    _claim("division", "Division"),
    _claim("externalid", "External ID"),
    _claim("username", "Username", settable=False),
    _claim("primaryChallengeQuestion", "Primary Challenge Question", settable=False),
    _claim("challengeQuestionUris", "Challenge Question", settable=False),
    _claim("oneTimePassword", "One Time Password", settable=False),
    _claim("identity/accountLocked", "Account Locked", settable=False),
    _claim("identity/failedLoginAttempts", "Failed Login Attempts", settable=False),
    _claim("identity/unlockTime", "Unlock Time", settable=False),
)

_BY_URI = {claim.uri: claim for claim in DEFAULT_CLAIMS}


def supported_claims(dialect: str | None) -> list[ClaimDefinition]:
    """What getUserIdentitySupportedClaims lists: supported, writable, no account state."""
    if (dialect or "").strip().rstrip("/") != DIALECT:
        return []
    return [c for c in DEFAULT_CLAIMS if c.supported and not c.read_only and c.settable]


def is_challenge_set(uri: str) -> bool:
    """Challenge answers travel as claims named by their question set."""
    return (
        uri.startswith(CHALLENGE_SET_PREFIX)
        and uri != CHALLENGE_URIS
        and uri[len(CHALLENGE_SET_PREFIX) :].isdigit()
    )


def settable_profile_claim(uri: str) -> bool:
    claim = _BY_URI.get(uri)
    return claim is not None and claim.settable
