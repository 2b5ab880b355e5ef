"""Brute-force and automation defences: rate limits by client address and user, failed-attempt
counting per user with a temporary recovery lock, and the audit records that go with them.

Failures are recorded in a transaction of their own, because the operation's own unit of work
rolls back when it fails; a success clears the user's counter inside the operation's transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from recovery_soap.core.errors import (
    ExpiredCode,
    InvalidCaptcha,
    InvalidCode,
    LoginFailed,
    RecoveryError,
    RecoveryLocked,
    TooManyRequests,
    WrongAnswer,
)
from recovery_soap.core.model import AuditEvent, Caller, Limit, Presented, User
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.services import Services

#: The failures that count towards a lock: someone presented a wrong secret.
COUNTED = (InvalidCode, WrongAnswer, InvalidCaptcha, LoginFailed)
SLOW_DOWN = "Too many requests; try again later"


def address_of(caller: Caller) -> str:
    return caller.client_address or "-"


def admit(env: Services, *limits: tuple[Limit, str]) -> None:
    """Count one hit on each (limit, identifier); refuse when one is over, before any effect."""
    for limit, identifier in limits:
        if not env.limiter.allow(limit, identifier):
            raise TooManyRequests(SLOW_DOWN)


def admit_check(env: Services, caller: Caller) -> None:
    """A secret check from this address: refused once its failures or its checks run over."""
    address = address_of(caller)
    if env.limiter.exhausted(Limit.FAILURES_PER_ADDRESS, address):
        raise TooManyRequests(SLOW_DOWN)
    admit(env, (Limit.CHECKS_PER_ADDRESS, address))


def admit_mail(env: Services, caller: Caller, tenant: str, username: str) -> None:
    """A request that sends mail: limited per client address and per recipient user."""
    admit(
        env,
        (Limit.MAIL_PER_ADDRESS, address_of(caller)),
        (Limit.MAIL_PER_USER, f"{tenant}/{username}"),
    )


def is_locked(env: Services, uow: UnitOfWork, subject: User | Presented | None) -> bool:
    """Whether failures locked the recovery of this user or name presented."""
    if subject is None:
        return False
    state = uow.guards.state(subject)
    return bool(state and state.locked_until and env.clock.now() < state.locked_until)


def ensure_unlocked(
    env: Services, uow: UnitOfWork, subject: User | Presented | None, shown_name: str
) -> None:
    if is_locked(env, uow, subject):
        raise RecoveryLocked(
            f"Too many failed attempts: recovery is locked for a while for user : {shown_name}"
        )


def audit(
    env: Services,
    uow: UnitOfWork,
    caller: Caller | None,
    event: str,
    outcome: str,
    user: User | None = None,
    detail: str | None = None,
    username: str | None = None,
) -> None:
    """Append a security event; never give it a secret."""
    uow.audit.record(
        AuditEvent(
            at=env.clock.now(),
            event=event,
            outcome=outcome,
            tenant=user.tenant.domain if user else (caller.tenant.domain if caller else None),
            username=user.username if user else username,
            caller=caller.account if caller else None,
            client_address=caller.client_address if caller else None,
            detail=detail,
        )
    )


@dataclass
class Watch:
    """Filled in by the operation as it learns whom the request is about."""

    user: User | None = None
    username: str | None = None
    #: The name as presented: with hidden existence, failures count for it when no user has it.
    presented: Presented | None = None


@contextmanager
def watch(env: Services, caller: Caller, event: str, seen: Watch | None = None) -> Iterator[Watch]:
    """On a failed check: audit it, count it for the address and the user, lock when due.
    ``seen`` carries on a watch whose unit of work is over (what it learnt stays known)."""
    seen = Watch() if seen is None else seen
    try:
        yield seen
    except COUNTED as error:
        _record_failure(env, caller, event, seen, error, counted=True)
        raise
    except ExpiredCode as error:
        _record_failure(env, caller, event, seen, error, counted=False)
        raise


def _record_failure(
    env: Services, caller: Caller, event: str, seen: Watch, error: RecoveryError, *, counted: bool
) -> None:
    now = env.clock.now()
    if counted:
        env.limiter.allow(Limit.FAILURES_PER_ADDRESS, address_of(caller))
    with env.uow() as uow:
        audit(
            env,
            uow,
            caller,
            event,
            "failure",
            seen.user,
            type(error).__name__,
            username=seen.username,
        )
        subject: User | Presented | None = seen.user
        if subject is None and env.policy.hide_user_existence:
            subject = seen.presented  # an unknown name is counted and locked like a user
        if counted and subject is not None:
            state = uow.guards.record_failure(subject, now, env.policy.lockout_window)
            if state.failures >= env.policy.lockout_failures:
                uow.guards.lock(subject, now + env.policy.lockout_duration)
                audit(
                    env,
                    uow,
                    caller,
                    "recovery_locked",
                    "locked",
                    seen.user,
                    username=subject.username,
                )
        uow.commit()
