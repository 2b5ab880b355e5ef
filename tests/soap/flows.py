"""Steps shared by the SOAP tests: a confirmed user, a recovery started, answers set."""

from __future__ import annotations

from typing import Any

from tests.conftest import LiveServer, unique

EMAIL = "http://wso2.org/claims/emailaddress"
GIVEN = "http://wso2.org/claims/givenname"
LAST = "http://wso2.org/claims/lastname"
SET1 = "http://wso2.org/claims/challengeQuestion1"
SET2 = "http://wso2.org/claims/challengeQuestion2"
Q1 = "City where you were born ?"
Q2 = "Favorite sport ?"
PASSWORD = "Initial#Pass123"


def claims_for(name: str, *, answers: bool = False) -> list[dict[str, str]]:
    claims = [
        {"claimUri": EMAIL, "claimValue": f"{name}@example.test"},
        {"claimUri": GIVEN, "claimValue": "Test"},
        {"claimUri": LAST, "claimValue": "User"},
    ]
    if answers:
        claims += [
            {"claimUri": SET1, "claimValue": f"{Q1}!Colombo"},
            {"claimUri": SET2, "claimValue": f"{Q2}!Cricket"},
        ]
    return claims


def confirmed_user(live: LiveServer, service: Any, *, answers: bool = False) -> str:
    """Register a user and confirm it with the mailed code (internal sending, captcha on)."""
    name = unique()
    bean = service.registerUser(
        userName=name,
        password=PASSWORD,
        claims=claims_for(name, answers=answers),
        profileName="default",
        tenantDomain="carbon.super",
    )
    assert bean.verified, bean.error
    live.deliver_mail()
    code = live.smtp.mailbox.last_code(f"{name}@example.test")
    bean = service.confirmUserSelfRegistration(
        username=name, code=code, captcha=live.solve_captcha(service), tenantDomain="carbon.super"
    )
    assert bean.verified, bean.error
    return name


def start_recovery(live: LiveServer, service: Any, name: str) -> str:
    bean = service.verifyUser(username=name, captcha=live.solve_captcha(service))
    assert bean.verified and bean.key, bean.error
    return str(bean.key)
