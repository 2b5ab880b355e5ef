"""Re-verification of a self-service e-mail change (setting ``email_change_verification``).

The new address is kept aside as the pending value (WSO2's ``emailaddress.pendingValue``
identity claim, never part of the profile) and a code is mailed to it; the address takes effect
only when that code comes back, and then the old address is told. Until then recovery mail goes
to the old address, so a stolen session cannot redirect it.
"""

from __future__ import annotations

from recovery_soap.core import codes
from recovery_soap.core.claims import DIALECT, EMAIL, GIVEN_NAME
from recovery_soap.core.errors import InvalidCode, VerificationUnavailable
from recovery_soap.core.model import MessageKind, Step, User
from recovery_soap.core.notices import notify_email_change, send_to_address
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.services import Services

PENDING_EMAIL = f"{DIALECT}/identity/emailaddress.pendingValue"
INVALID = "The e-mail verification code is not valid"


def held_back(env: Services, own: bool, current: str | None, wanted: str | None) -> str | None:
    """The new address a self-service change must verify first (None: apply the change as it
    is -- not self-service, verification off, no new address, or the address removed)."""
    if not (own and env.policy.email_change_verified and wanted and wanted != current):
        return None
    if env.policy.notifications_external:
        raise VerificationUnavailable(
            "The e-mail address cannot be changed here: it could not be verified"
        )
    return wanted


def request(env: Services, uow: UnitOfWork, user: User, new_address: str) -> None:
    """Keep the new address aside and mail it a code (a newer request replaces an older one)."""
    uow.users.set_claims(user, {PENDING_EMAIL: new_address})
    code = codes.issue(env, uow, user, Step.EMAIL_PENDING)
    first_name = uow.users.claims(user).get(GIVEN_NAME)
    send_to_address(env, uow, user, MessageKind.EMAIL_VERIFICATION, new_address, code, first_name)


def confirm(env: Services, uow: UnitOfWork, user: User, code: str | None) -> bool:
    """Spend the code and make the pending address the user's; the old one is told. False when
    nothing changed (the address was already the pending one)."""
    codes.redeem(env, uow, user, code, {Step.EMAIL_PENDING}, INVALID)
    claims = uow.users.claims(user)
    pending = claims.get(PENDING_EMAIL)
    if not pending:
        raise InvalidCode(INVALID)
    old = claims.get(EMAIL, "")
    uow.directory.remove_claims(user, [PENDING_EMAIL])
    if pending == old:
        return False
    uow.users.set_claims(user, {EMAIL: pending})
    notify_email_change(env, uow, user, old)
    return True
