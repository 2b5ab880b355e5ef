"""Logging a user in by tenant, name and password: the password grant, the subscriber API's
``authenticate`` and SCIM use it.

The same brute-force defences as the recovery flows apply: checks are rate-limited per client
address, a wrong password counts towards the user's lock (core.guard), and a locked user is
refused before the password is looked at. An unknown user costs a hash like a known one.
"""

from __future__ import annotations

from recovery_soap.core import guard, opening
from recovery_soap.core.credentials import check_password
from recovery_soap.core.errors import AccountLocked, LoginFailed, RecoveryError, RequestRefused
from recovery_soap.core.model import Caller, Permission, Presented, User
from recovery_soap.core.services import Services
from recovery_soap.core.tenants import qualify

INVALID = "Authentication data is invalid."


def log_in(env: Services, caller: Caller, username: str | None, password: str | None) -> User:
    """The user these credentials belong to, in a tenant the caller may use.

    Raises PermissionDenied (an account without the ``login`` right), LoginFailed (unknown
    user, wrong password, a tenant the caller may not use),
    AccountLocked (locked or awaiting confirmation, told only after the right password),
    RecoveryLocked (too many failures) or TooManyRequests.
    """
    opening.admit(env, caller, Permission.LOGIN)
    given = (username or "").strip()
    with guard.watch(env, caller, "login") as seen:
        seen.username = given[:255]
        with env.uow() as uow:
            presented = None
            try:
                name = qualify(env, uow, caller, given)
                user = uow.users.get(name.tenant, name.name)
                presented = Presented(name.tenant, name.name)
            except (RecoveryError, RequestRefused):
                user = None
            seen.user, seen.presented = user, presented
            guard.ensure_unlocked(env, uow, user or presented, given)
            if not check_password(env, uow, user, password or "") or user is None:
                raise LoginFailed(INVALID)
            if user.locked or user.pending_confirmation:
                raise AccountLocked(f"The account is locked or not confirmed : {given}")
            uow.guards.clear(user)
            guard.audit(env, uow, caller, "login", "success", user)
            uow.commit()
    return user
