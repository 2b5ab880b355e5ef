"""The services every use case runs with: the unit-of-work factory, clock, hashers, random source
and policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from recovery_soap.core import authorisation
from recovery_soap.core.code_secrets import KeyedHasher, SystemRandom
from recovery_soap.core.model import Caller, Limit, Permission, ServiceAccount
from recovery_soap.core.passwords import PasswordPolicy, SlowHasher
from recovery_soap.core.ports import (
    CaptchaRenderer,
    Clock,
    MessageRenderer,
    RandomSource,
    RateLimiter,
    UnitOfWorkFactory,
)


@dataclass(frozen=True)
class Policy:
    """The behaviour switches of the legacy service, named by meaning."""

    captcha_checked: bool = True
    notifications_external: bool = False
    lock_on_creation: bool = True
    saas_mode: bool = False
    recovery_code_ttl: timedelta = timedelta(minutes=10)
    signup_code_ttl: timedelta = timedelta(hours=24)
    captcha_ttl: timedelta = timedelta(minutes=20)
    all_answers_required: bool = True
    code_and_answers_required: bool = False
    notify_changes: bool = True
    hide_user_existence: bool = False
    email_change_verified: bool = False  # a self-service e-mail change waits for its code
    lockout_failures: int = 10
    lockout_window: timedelta = timedelta(hours=1)
    lockout_duration: timedelta = timedelta(minutes=30)
    passwords: PasswordPolicy = field(default_factory=PasswordPolicy)
    session_idle: timedelta = timedelta(minutes=15)
    session_lifetime: timedelta = timedelta(hours=8)


class Unlimited:
    """A rate limiter that never refuses (rate limits off)."""

    def allow(self, limit: Limit, *identifiers: str) -> bool:
        return True

    def exhausted(self, limit: Limit, *identifiers: str) -> bool:
        return False


@dataclass(frozen=True)
class Services:
    """What a use case is given to run: the store (a unit of work per call), the clock, the
    hashers, the renderers, the random source, the limits and the behaviour switches. Built once
    by the composition root (``app.build_services``); every face passes the same object."""

    uow: UnitOfWorkFactory
    clock: Clock
    keyed: KeyedHasher
    slow: SlowHasher
    render_message: MessageRenderer
    render_captcha: CaptchaRenderer
    captcha_text: Callable[[], str]
    policy: Policy = field(default_factory=Policy)
    limiter: RateLimiter = field(default_factory=Unlimited)
    callers: CallerCache = field(default_factory=lambda: NoCallerCache())
    random: RandomSource = field(default_factory=SystemRandom)


class CallerCache(Protocol):
    def get(self, key: tuple[str, str]) -> ServiceAccount | None: ...
    def put(self, key: tuple[str, str], account: ServiceAccount) -> None: ...


class NoCallerCache:
    """Remembers nothing: every login reads the store."""

    def get(self, key: tuple[str, str]) -> ServiceAccount | None:
        return None

    def put(self, key: tuple[str, str], account: ServiceAccount) -> None:
        return None


def require(caller: Caller, permission: Permission | None) -> None:
    """Refuse a caller whose service account lacks the operation's right (the one check of
    core/authorisation.py)."""
    authorisation.require(caller, permission)
