"""The SOAP envelopes the benchmark sends and what a successful answer must contain."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICE_PATH = "/services/UserInformationRecoveryService"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "http://services.mgt.identity.carbon.wso2.org"
DTO_NS = "http://dto.mgt.identity.carbon.wso2.org/xsd"
EMAIL_CLAIM = "http://wso2.org/claims/emailaddress"
GIVEN_CLAIM = "http://wso2.org/claims/givenname"
SUPER_TENANT = "carbon.super"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ACCOUNT = "bench"
DEFAULT_APP = "recovery_soap.app:application"
USER_PASSWORD = "Bench#Passw0rd-1"
NEW_PASSWORD = "Bench#Changed-2"


def user_name(index: int) -> str:
    """Seeded users are u0000001 ... (the Lua scripts build the same names)."""
    return f"u{index:07d}"


def envelope(operation: str, inner: str = "") -> str:
    """A SoapUI-style SOAP 1.1 envelope, as tests/support.py builds them."""
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP11_NS}" xmlns:ser="{SERVICE_NS}">'
        "<soapenv:Header/><soapenv:Body>"
        f"<ser:{operation}>{inner}</ser:{operation}>"
        "</soapenv:Body></soapenv:Envelope>"
    )


def el(name: str, value: str) -> str:
    return f"<ser:{name}>{value}</ser:{name}>"


QUESTIONS_BODY = envelope("getAllChallengeQuestions")
CLAIMS_BODY = envelope("getUserIdentitySupportedClaims", el("dialect", "http://wso2.org/claims"))


def verify_user_body(name: str) -> str:
    return envelope("verifyUser", el("username", name))


def claim_elements(pairs: list[tuple[str, str]], tag: str = "claims") -> str:
    """Claim DTOs (claimUri, claimValue) under the service element ``tag``."""
    return "".join(
        f'<ser:{tag}><dto:claimUri xmlns:dto="{DTO_NS}">{uri}</dto:claimUri>'
        f'<dto:claimValue xmlns:dto="{DTO_NS}">{value}</dto:claimValue></ser:{tag}>'
        for uri, value in pairs
    )


def register_body(name: str, extra_claims: list[tuple[str, str]] | None = None) -> str:
    claims = [(EMAIL_CLAIM, f"{name}@bench.test"), (GIVEN_CLAIM, "Bench")]
    return envelope(
        "registerUser",
        el("userName", name)
        + el("password", USER_PASSWORD)
        + claim_elements(claims + (extra_claims or []))
        + el("profileName", "default")
        + el("tenantDomain", SUPER_TENANT),
    )


#: What a successful answer of each scenario contains, and what it must not contain.
MUST = {
    "questions": ["getAllChallengeQuestionsResponse", "questionSetId>"],
    "ceiling": ["getAllChallengeQuestionsResponse", "questionSetId>"],
    "claims": ["getUserIdentitySupportedClaimsResponse", "claimUri>"],
    "verify-user": ["verifyUserResponse", "verified>true<", "key>"],
    "register": ["registerUserResponse", "notificationCode>"],
}
MUST_NOT = ["Fault>", "error>"]


def response_ok(scenario: str, status: int, body: bytes) -> bool:
    if status != 200:
        return False
    text = body.decode("utf-8", "replace")
    return all(s in text for s in MUST[scenario]) and not any(s in text for s in MUST_NOT)


def excerpt(body: bytes) -> str:
    """The interesting part of an answer: from the SOAP Body on."""
    start = max(0, body.find(b"Body>"))
    return body[start : start + 280].decode("utf-8", "replace")
