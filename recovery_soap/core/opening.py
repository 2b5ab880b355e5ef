"""The opening every secret check on a named user shares, written once.

A check (a key, a code, an answer, a new password) first admits the caller (its right, then the
address's check budget), then watches for failures (core.guard: audited, counted, locking), checks
the captcha when the operation has one, opens the unit of work, finds the user the request names
together with the name as presented, and refuses a user whose recovery failures locked it. The order
is part of the contract: a refused caller costs nothing, a rate-limited one no lookup, and with
hidden existence an unknown name goes through the same steps as a user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from recovery_soap.core import guard
from recovery_soap.core.captcha import check_captcha
from recovery_soap.core.model import Caller, CaptchaInput, Permission, Presented, User
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.services import Services, require
from recovery_soap.core.tenants import find_subject

#: Whom a step acts on, given the user found (None: no user has the name) and the name presented.
ActingOn = Callable[[Services, User | None, Presented], User | Presented | None]


def user_or_name(env: Services, user: User | None, presented: Presented) -> User | Presented | None:
    """The user; the name as presented when no user has it (failures and locks are kept for it)."""
    return user or presented


@dataclass(frozen=True)
class CaptchaCheck:
    """The captcha answer a step checks, and the refusal it answers when the captcha is wrong."""

    answer: CaptchaInput | None
    refusal: str


@dataclass(frozen=True)
class Opened:
    """What the opening found, inside the step's unit of work."""

    uow: UnitOfWork
    user: User | None
    presented: Presented
    #: The name as the caller gave it (trimmed), for messages and audit records.
    given: str
    #: Whom the step acts on (see ActingOn); its recovery lock was checked unless told otherwise.
    subject: User | Presented | None
    #: The failure watch, for a step that goes on checking after its unit of work.
    seen: guard.Watch


def admit(env: Services, caller: Caller, right: Permission) -> None:
    """The caller's right, then the address's check budget: refused before any effect."""
    require(caller, right)
    guard.admit_check(env, caller)


@contextmanager
def on_named_user(
    env: Services,
    caller: Caller,
    event: str,
    username: str | None,
    *,
    captcha: CaptchaCheck | None = None,
    acting_on: ActingOn = user_or_name,
    check_lock: bool = True,
) -> Iterator[Opened]:
    """Watch failures as ``event``, check the captcha, open the unit of work, find the user and
    refuse a recovery-locked subject; the caller was admitted first (see :func:`admit`).

    The unit of work rolls back unless the step commits it; a counted failure raised inside is
    audited and counted by the watch in a transaction of its own.
    """
    with guard.watch(env, caller, event) as seen:
        seen.username = (username or "").strip()
        if captcha is not None:
            check_captcha(env, captcha.answer, captcha.refusal)
        with env.uow() as uow:
            user, presented, given = find_subject(env, uow, caller, username)
            seen.user, seen.presented, seen.username = user, presented, given
            subject = acting_on(env, user, presented)
            if check_lock:
                guard.ensure_unlocked(env, uow, subject, given)
            yield Opened(uow, user, presented, given, subject, seen)
