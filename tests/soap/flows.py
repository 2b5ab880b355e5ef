"""Steps shared by the tests that drive the SOAP service: a registered and confirmed user, a
recovery started, a recovery by mail carried to its end. Every test that needs one of these
steps as set-up takes it from here, so a change to a step is made once."""

from __future__ import annotations

from typing import Any

from tests.conftest import LiveServer, unique
from tests.support import EMAIL, GIVEN, LAST, Q1, Q2, SET1, SET2  # noqa: F401 - re-exported

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


def email_of(claims: list[dict[str, str]]) -> str:
    return next(c["claimValue"] for c in claims if c["claimUri"] == EMAIL)


def register_confirmed(
    live: LiveServer,
    service: Any,
    name: str,
    claims: list[dict[str, str]],
    tenant_domain: str = "",
) -> None:
    """Register and confirm: by the mailed code (internal sending, with a solved captcha) or
    by the code handed back (external sending, no captcha)."""
    bean = service.registerUser(
        userName=name,
        password=PASSWORD,
        claims=claims,
        profileName="default",
        tenantDomain=tenant_domain,
    )
    assert bean.error is None, bean.error
    # verified: the service mailed the code itself (nothing handed back)
    assert bean.verified == (bean.notificationData is None), bean
    if bean.notificationData is not None:
        code, captcha = bean.notificationData.notificationCode, None
    else:
        live.deliver_mail()
        code = live.smtp.mailbox.last_code(email_of(claims))
        captcha = live.solve_captcha(service)
    bean = service.confirmUserSelfRegistration(
        username=name, code=code, captcha=captcha, tenantDomain=tenant_domain
    )
    assert bean.verified, bean.error


def confirmed_user(live: LiveServer, service: Any, *, answers: bool = False) -> str:
    """A new user of the super tenant, registered and confirmed; returns its name."""
    name = unique()
    register_confirmed(live, service, name, claims_for(name, answers=answers), "carbon.super")
    return name


def start_recovery(live: LiveServer, service: Any, name: str) -> str:
    bean = service.verifyUser(username=name, captcha=live.solve_captcha(service))
    assert bean.verified and bean.key, bean.error
    return str(bean.key)


def mailed_code_key(
    live: LiveServer,
    service: Any,
    username: str,
    address: str | None = None,
    *,
    captcha: bool = True,
) -> str:
    """verifyUser -> sendRecoveryNotification -> the mailed code -> verifyConfirmationCode: the
    key that updatePassword takes. ``captcha=False`` sends none to verifyConfirmationCode (a
    server with captcha verification off)."""
    key = start_recovery(live, service, username)
    bean = service.sendRecoveryNotification(username=username, key=key, notificationType="EMAIL")
    assert bean.verified, bean.error
    live.deliver_mail()
    code = live.smtp.mailbox.last_code(address or f"{username}@example.test")
    bean = service.verifyConfirmationCode(
        username=username, code=code, captcha=live.solve_captcha(service) if captcha else None
    )
    assert bean.verified and bean.key, bean.error
    return str(bean.key)


def recover_by_mail(
    live: LiveServer, service: Any, username: str, new_password: str, address: str | None = None
) -> None:
    """A whole recovery by mail: the mailed code's key, then updatePassword."""
    key = mailed_code_key(live, service, username, address)
    bean = service.updatePassword(username=username, confirmationCode=key, newPassword=new_password)
    assert bean.verified, bean.error
