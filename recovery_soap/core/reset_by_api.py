"""The subscriber API's three-step password reset over the recovery code chain of
core.password_recovery: initiate (mail a code), verify (spend it for a key), confirm (spend the
key, set the password). Its callers hold a bearer token of a trusted application and the hosted
API has no captcha, so no captcha is asked; every other rule of the SOAP flow applies.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from recovery_soap.core import password_recovery
from recovery_soap.core.claims import EMAIL
from recovery_soap.core.errors import InvalidUser
from recovery_soap.core.model import Caller
from recovery_soap.core.services import Services
from recovery_soap.core.tenants import find_user


@dataclass(frozen=True)
class Verified:
    key: str
    username: str
    email: str


def _without_captcha(env: Services, *, hiding: bool = False) -> Services:
    return dataclasses.replace(
        env,
        policy=dataclasses.replace(
            env.policy,
            captcha_checked=False,
            notifications_external=False,
            hide_user_existence=env.policy.hide_user_existence or hiding,
        ),
    )


def initiate(env: Services, caller: Caller, username: str | None) -> None:
    """Mail a recovery code to the user. An unknown, locked or mail-limited user gets the same
    (successful) answer after the same work, with nothing sent: this call always hides whether
    the account exists (only the client address's own limits show, alike for every name)."""
    plain = _without_captcha(env, hiding=True)
    try:
        started = password_recovery.verify_user(plain, caller, username, None)
    except InvalidUser:  # no name, or a tenant the caller may not use: told alike as well
        return
    password_recovery.send_recovery_notification(plain, caller, username, started.key, "EMAIL")


def verify(env: Services, caller: Caller, username: str | None, code: str | None) -> Verified:
    """Spend the mailed code for the key that confirm takes."""
    checked = password_recovery.verify_confirmation_code(
        _without_captcha(env), caller, username, code, None
    )
    assert checked.key is not None
    with env.uow(readonly=True) as uow:
        user, given = find_user(env, uow, caller, username)
        email = uow.users.claims(user).get(EMAIL, given) if user else given
    return Verified(key=checked.key, username=given, email=email)


def confirm(
    env: Services, caller: Caller, username: str | None, key: str | None, new_password: str | None
) -> None:
    """Set the new password with verify's key (policy, proof and notices as over SOAP)."""
    password_recovery.update_password(env, caller, username, key, new_password)
