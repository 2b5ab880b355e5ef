"""Username recovery (verifyAccount): find the one user whose claims match and mail the username."""

from __future__ import annotations

from collections.abc import Sequence

from recovery_soap.core.captcha import check_captcha
from recovery_soap.core.claims import settable_profile_claim
from recovery_soap.core.env import Env, require
from recovery_soap.core.errors import InvalidUser, TenantRefused
from recovery_soap.core.model import (
    CaptchaInput,
    Caller,
    MessageKind,
    Permission,
    Verification,
)
from recovery_soap.core.notices import deliver
from recovery_soap.core.tenants import target_tenant

NOT_FOUND = "Error verifying user account"


def verify_account(
    env: Env, caller: Caller, claims: Sequence[tuple[str | None, str | None]],
    captcha: CaptchaInput | None, tenant_domain: str | None,
) -> Verification:
    """Every claim given must match the same single user (stricter than the legacy server, which
    stopped at the first claim matching one user); challenge answers are never searchable."""
    require(caller, Permission.RECOVER)
    check_captcha(env, captcha, "Error processing captcha")
    wanted = [
        ((uri or "").strip(), (value or "").strip()) for uri, value in claims
        if (uri or "").strip() and (value or "").strip()
    ]
    with env.uow() as uow:
        tenant = target_tenant(
            env, uow, caller, tenant_domain,
            lambda: TenantRefused("Trying to verify account unauthorized tenant space"),
        )
        if not wanted or not all(settable_profile_claim(uri) for uri, _ in wanted):
            raise InvalidUser(NOT_FOUND)
        candidates: set[int] | None = None
        for uri, value in wanted:
            matched = uow.users.find_by_claim(tenant, uri, value)
            candidates = matched if candidates is None else candidates & matched
            if not candidates:
                raise InvalidUser(NOT_FOUND)
        assert candidates is not None
        if len(candidates) != 1:
            raise InvalidUser("User not found")
        user = uow.users.by_id(next(iter(candidates)))
        assert user is not None
        data = deliver(env, uow, user, MessageKind.ACCOUNT_ID_RECOVERY, user.username)
        uow.commit()
    # As the legacy service: verified says whether the service sent the message itself.
    return Verification(verified=data is None, notification=data)
