"""Username recovery (verifyAccount): find the one user whose claims match and mail the username."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from recovery_soap.core import guard
from recovery_soap.core.captcha import check_captcha
from recovery_soap.core.claims import settable_profile_claim
from recovery_soap.core.errors import InvalidUser, TenantRefused
from recovery_soap.core.model import (
    Caller,
    CaptchaInput,
    Limit,
    MessageKind,
    Permission,
    Presented,
    Tenant,
    User,
    Verification,
)
from recovery_soap.core.notices import deliver, deliver_alike
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.services import Services, require
from recovery_soap.core.tenants import target_tenant

NOT_FOUND = "Error verifying user account"


def _presented_key(caller: Caller, tenant_domain: str | None, wanted: list[tuple[str, str]]) -> str:
    """The mail-limit identifier of the claims presented (a digest: claim values may be long)."""
    digest = hashlib.sha256(repr(sorted(wanted)).encode("utf-8")).hexdigest()[:32]
    return f"{(tenant_domain or '').strip() or caller.tenant.domain}/#claims/{digest}"


def _given(claims: Sequence[tuple[str | None, str | None]]) -> list[tuple[str, str]]:
    """The claims presented, trimmed, without those missing a URI or a value."""
    return [
        ((uri or "").strip(), (value or "").strip())
        for uri, value in claims
        if (uri or "").strip() and (value or "").strip()
    ]


def verify_account(
    env: Services,
    caller: Caller,
    claims: Sequence[tuple[str | None, str | None]],
    captcha: CaptchaInput | None,
    tenant_domain: str | None,
) -> Verification:
    """Every claim given must match the same single user (stricter than the legacy server, which
    stopped at the first claim matching one user); challenge answers are never searchable.

    With hidden existence the mail limit that shows is kept for the claims presented, found or
    not; a found user's own limit, when reached, sends nothing and answers the same.
    """
    require(caller, Permission.RECOVER)
    guard.admit(env, (Limit.MAIL_PER_ADDRESS, guard.address_of(caller)))
    with guard.watch(env, caller, "username_recovered"):
        check_captcha(env, captcha, "Error processing captcha")
    hide = env.policy.hide_user_existence and not env.policy.notifications_external
    wanted = _given(claims)
    if hide:
        guard.admit(env, (Limit.MAIL_PER_USER, _presented_key(caller, tenant_domain, wanted)))
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
        # No single match reads id 0, which no row has: the same lookup either way.
        user = uow.users.by_id(next(iter(candidates)) if len(candidates) == 1 else 0)
        if hide:
            return _hidden(env, uow, caller, tenant, user)
        if not candidates:
            raise InvalidUser(NOT_FOUND)
        if user is None:
            raise InvalidUser("User not found")
        guard.admit(env, (Limit.MAIL_PER_USER, f"{user.tenant.domain}/{user.username}"))
        data = deliver(
            env, uow, user, MessageKind.ACCOUNT_ID_RECOVERY, user.username, is_code=False
        )
        guard.audit(env, uow, caller, "username_recovered", "success", user)
        uow.commit()
    # As the legacy service: verified says whether the service sent the message itself.
    return Verification(verified=data is None, notification=data)


def _hidden(
    env: Services, uow: UnitOfWork, caller: Caller, tenant: Tenant, user: User | None
) -> Verification:
    """The same answer and the same work whether one user matched or not: a message queued for
    the user (within its own mail limit), or rendered and dropped."""
    key = f"{user.tenant.domain}/{user.username}" if user else f"{tenant.domain}/"
    within_limit = env.limiter.allow(Limit.MAIL_PER_USER, key) if user else False
    subject: User | Presented = (
        user if user and within_limit else Presented(tenant, user.username if user else "")
    )
    sent = isinstance(subject, User)
    deliver_alike(
        env, uow, subject, MessageKind.ACCOUNT_ID_RECOVERY, subject.username, is_code=False
    )
    outcome, detail = ("success", None) if sent else ("failure", "hidden")
    guard.audit(env, uow, caller, "username_recovered", outcome, user, detail)
    uow.commit()
    return Verification(verified=True)
