"""Username recovery (verifyAccount): find the one user whose claims match and mail the username."""

from __future__ import annotations

from collections.abc import Sequence

from recovery_soap.core import guard
from recovery_soap.core.captcha import check_captcha
from recovery_soap.core.claims import settable_profile_claim
from recovery_soap.core.env import Env, require
from recovery_soap.core.errors import InvalidUser, TenantRefused
from recovery_soap.core.model import (
    Caller,
    CaptchaInput,
    Limit,
    MessageKind,
    Permission,
    Verification,
)
from recovery_soap.core.notices import deliver
from recovery_soap.core.tenants import target_tenant

NOT_FOUND = "Error verifying user account"


def verify_account(
    env: Env,
    caller: Caller,
    claims: Sequence[tuple[str | None, str | None]],
    captcha: CaptchaInput | None,
    tenant_domain: str | None,
) -> Verification:
    """Every claim given must match the same single user (stricter than the legacy server, which
    stopped at the first claim matching one user); challenge answers are never searchable."""
    require(caller, Permission.RECOVER)
    guard.admit(env, (Limit.MAIL_PER_ADDRESS, guard.address_of(caller)))
    with guard.watch(env, caller, "username_recovered"):
        check_captcha(env, captcha, "Error processing captcha")
    hide = env.policy.hide_user_existence and not env.policy.notifications_external
    wanted = [
        ((uri or "").strip(), (value or "").strip())
        for uri, value in claims
        if (uri or "").strip() and (value or "").strip()
    ]
    with env.uow() as uow:
        tenant = target_tenant(
            env,
            uow,
            caller,
            tenant_domain,
            lambda: TenantRefused("Trying to verify account unauthorized tenant space"),
        )
        if not all(settable_profile_claim(uri) for uri, _ in wanted):
            wanted = []  # challenge answers and account state are never searchable
        candidates = uow.users.find_by_claims(tenant, wanted, limit=2) if wanted else set()
        if len(candidates) != 1 and hide:
            return Verification(verified=True)
        if not candidates:
            raise InvalidUser(NOT_FOUND)
        if len(candidates) != 1:
            raise InvalidUser("User not found")
        user = uow.users.by_id(next(iter(candidates)))
        assert user is not None
        guard.admit(env, (Limit.MAIL_PER_USER, f"{user.tenant.domain}/{user.username}"))
        data = deliver(
            env, uow, user, MessageKind.ACCOUNT_ID_RECOVERY, user.username, is_code=False
        )
        guard.audit(env, uow, caller, "username_recovered", "success", user)
        uow.commit()
    # As the legacy service: verified says whether the service sent the message itself.
    return Verification(verified=data is None, notification=data)
