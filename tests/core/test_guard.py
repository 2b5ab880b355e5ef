"""Brute-force defences: rate limits per address and user, failure counting, recovery locks."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from recovery_soap.core import guard, registration, username_recovery
from recovery_soap.core import password_recovery as recovery
from recovery_soap.core.errors import InvalidCode, RecoveryLocked, TooManyRequests
from recovery_soap.core.model import Caller, Limit
from recovery_soap.core.services import Services
from tests.core.conftest import (
    EMAIL,
    BudgetLimiter,
    FixedClock,
    Mail,
    audit_events,
    confirmed_user,
    stored_user,
    with_policy,
)

WRONG = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def plain(env: Services) -> Services:
    return with_policy(env, captcha_checked=False, lockout_failures=3)


@pytest.fixture
def omar(env: Services, caller: Caller, mail: Mail) -> str:
    confirmed_user(env, caller, mail, "omar")
    return "omar"


def fail(plain: Services, caller: Caller, name: str) -> None:
    with pytest.raises(InvalidCode):
        recovery.verify_confirmation_code(plain, caller, name, WRONG, None)


def test_failures_lock_recovery_for_the_lockout_duration(
    plain: Services, caller: Caller, omar: str, clock: FixedClock, engine: Engine
) -> None:
    for _ in range(2):
        fail(plain, caller, omar)
    assert recovery.verify_user(plain, caller, omar, None).key  # not yet
    fail(plain, caller, omar)
    with pytest.raises(RecoveryLocked):
        recovery.verify_user(plain, caller, omar, None)
    assert ("recovery_locked", "locked", omar) in audit_events(engine)
    clock.advance(seconds=plain.policy.lockout_duration.total_seconds() - 1)
    with pytest.raises(RecoveryLocked):
        recovery.verify_user(plain, caller, omar, None)
    clock.advance(seconds=1)
    assert recovery.verify_user(plain, caller, omar, None).key


def test_failures_outside_the_window_do_not_add_up(
    plain: Services, caller: Caller, omar: str, clock: FixedClock
) -> None:
    for _ in range(2):
        fail(plain, caller, omar)
    clock.advance(seconds=plain.policy.lockout_window.total_seconds() + 1)
    fail(plain, caller, omar)
    assert recovery.verify_user(plain, caller, omar, None).key


def test_a_success_clears_the_failures(
    plain: Services, caller: Caller, mail: Mail, omar: str
) -> None:
    from tests.core.conftest import NEW_PASSWORD

    for _ in range(2):
        fail(plain, caller, omar)
    started = recovery.verify_user(plain, caller, omar, None)
    recovery.send_recovery_notification(plain, caller, omar, started.key, "EMAIL")
    key = recovery.verify_confirmation_code(
        plain, caller, omar, mail.last_code("omar@example.test"), None
    ).key
    recovery.update_password(plain, caller, omar, key, NEW_PASSWORD)
    fail(plain, caller, omar)
    fail(plain, caller, omar)
    assert recovery.verify_user(plain, caller, omar, None).key


def test_an_unlock_by_an_administrator_clears_the_lock(
    plain: Services, caller: Caller, omar: str
) -> None:
    from recovery_soap.core import admin

    for _ in range(3):
        fail(plain, caller, omar)
    admin.set_locked(plain, caller.tenant.domain, omar, locked=False)
    assert recovery.verify_user(plain, caller, omar, None).key


def test_hidden_existence_locks_an_unknown_name_like_a_user(
    plain: Services, caller: Caller
) -> None:
    hiding = with_policy(plain, hide_user_existence=True)
    for _ in range(3):
        fail(hiding, caller, "ghost")
    with pytest.raises(RecoveryLocked):
        recovery.verify_confirmation_code(hiding, caller, "ghost", WRONG, None)


def test_checks_per_address_are_limited(
    plain: Services, caller: Caller, omar: str, limiter: BudgetLimiter
) -> None:
    limiter.hits.clear()  # what setting the user up counted
    limiter.budget[Limit.CHECKS_PER_ADDRESS] = 2
    recovery.verify_user(plain, caller, omar, None)
    recovery.verify_user(plain, caller, omar, None)
    with pytest.raises(TooManyRequests):
        recovery.verify_user(plain, caller, omar, None)
    other = Caller(caller.account, caller.tenant, caller.permissions, client_address="192.0.2.77")
    assert recovery.verify_user(plain, other, omar, None).key


def test_failures_per_address_stop_its_checks(
    plain: Services, caller: Caller, omar: str, limiter: BudgetLimiter
) -> None:
    limiter.hits.clear()
    limiter.budget[Limit.FAILURES_PER_ADDRESS] = 2
    relaxed = with_policy(plain, lockout_failures=100)
    fail(relaxed, caller, omar)
    fail(relaxed, caller, omar)
    with pytest.raises(TooManyRequests):
        recovery.verify_user(relaxed, caller, omar, None)


def test_mail_per_user_is_limited(
    plain: Services, caller: Caller, mail: Mail, omar: str, limiter: BudgetLimiter
) -> None:
    limiter.hits.clear()
    limiter.budget[Limit.MAIL_PER_USER] = 1
    started = recovery.verify_user(plain, caller, omar, None)
    recovery.send_recovery_notification(plain, caller, omar, started.key, "EMAIL")
    started = recovery.verify_user(plain, caller, omar, None)
    with pytest.raises(TooManyRequests):
        recovery.send_recovery_notification(plain, caller, omar, started.key, "EMAIL")
    with pytest.raises(TooManyRequests):
        username_recovery.verify_account(plain, caller, [(EMAIL, "omar@example.test")], None, None)


def test_mail_per_address_limits_registration(
    plain: Services, caller: Caller, limiter: BudgetLimiter
) -> None:
    from tests.core.conftest import register

    limiter.budget[Limit.MAIL_PER_ADDRESS] = 1
    register(plain, caller, "first")
    with pytest.raises(TooManyRequests):
        register(plain, caller, "second")
    with plain.uow(readonly=True) as uow:
        assert uow.users.get(caller.tenant, "second") is None


def test_captchas_per_address_are_limited(
    env: Services, caller: Caller, limiter: BudgetLimiter
) -> None:
    from recovery_soap.core import captcha

    limiter.budget[Limit.CAPTCHAS_PER_ADDRESS] = 1
    captcha.new_captcha(env, caller)
    with pytest.raises(TooManyRequests):
        captcha.new_captcha(env, caller)


def test_a_failed_check_is_audited_without_the_secret(
    plain: Services, caller: Caller, omar: str, engine: Engine
) -> None:
    fail(plain, caller, omar)
    assert ("recovery_code_checked", "failure", omar) in audit_events(engine)


def test_an_expired_code_is_audited_but_not_counted(
    plain: Services, caller: Caller, mail: Mail, omar: str, clock: FixedClock
) -> None:
    from recovery_soap.core.errors import ExpiredCode

    for _ in range(3):
        started = recovery.verify_user(plain, caller, omar, None)
        recovery.send_recovery_notification(plain, caller, omar, started.key, "EMAIL")
        code = mail.last_code("omar@example.test")
        clock.advance(seconds=plain.policy.recovery_code_ttl.total_seconds())
        with pytest.raises(ExpiredCode):
            recovery.verify_confirmation_code(plain, caller, omar, code, None)
    with plain.uow(readonly=True) as uow:
        assert not guard.is_locked(plain, uow, stored_user(plain, caller.tenant, omar))
    fail(plain, caller, omar)  # one counted failure of three: still open
    assert recovery.verify_user(plain, caller, omar, None).key


def test_resending_a_signup_code_is_mail_limited(
    env: Services, caller: Caller, limiter: BudgetLimiter
) -> None:
    from tests.core.conftest import register

    register(env, caller, "pia")
    limiter.budget[Limit.MAIL_PER_USER] = 1  # the registration used it
    with pytest.raises(TooManyRequests):
        registration.resend_signup_code(env, caller, "pia", "", None, None)
