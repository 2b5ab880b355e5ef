"""The subscriber API's statistics: audited events counted per day in the caller's tenant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from recovery_soap.core import admin, login
from recovery_soap.core.errors import BadRequest, LoginFailed
from recovery_soap.core.model import Caller
from recovery_soap.core.services import Services
from recovery_soap.core.statistics import MAX_DAYS, statistic
from recovery_soap.store.statistics import AuditCounts
from tests.core.conftest import PASSWORD, FixedClock, Mail, confirmed_user, register


def test_events_are_counted_per_day_with_empty_days(
    env: Services, caller: Caller, mail: Mail, clock: FixedClock, engine: Engine
) -> None:
    day1 = clock.now().date()
    confirmed_user(env, caller, mail, "una")
    register(env, caller, "pending")
    clock.advance(days=2)
    confirmed_user(env, caller, mail, "vera")
    login.log_in(env, caller, "vera", PASSWORD)
    with pytest.raises(LoginFailed):
        login.log_in(env, caller, "vera", "Wrong#Pass123")
    counts = AuditCounts(engine)
    day3 = day1 + timedelta(days=2)
    signups = statistic(counts, caller.tenant, "signups", day1, day3)
    assert [(d.day, d.count) for d in signups] == [
        (day1, 2),
        (day1 + timedelta(days=1), 0),
        (day3, 1),
    ]
    confirmations = statistic(counts, caller.tenant, "confirmations", day1, day3)
    assert [d.count for d in confirmations] == [1, 0, 1]
    assert [d.count for d in statistic(counts, caller.tenant, "logins", day3, day3)] == [1]
    assert [d.count for d in statistic(counts, caller.tenant, "failedLogins", day3, day3)] == [1]


def test_another_tenants_events_are_not_counted(
    env: Services, caller: Caller, mail: Mail, clock: FixedClock, engine: Engine
) -> None:
    confirmed_user(env, caller, mail, "una")
    with env.uow() as uow:
        other = admin.add_tenant(uow, "other.test")
        uow.commit()
    today = clock.now().date()
    assert statistic(AuditCounts(engine), other, "signups", today, today)[0].count == 0


def test_unknown_types_and_bad_periods_are_refused(
    caller: Caller, clock: FixedClock, engine: Engine
) -> None:
    counts, today = AuditCounts(engine), clock.now().date()
    with pytest.raises(BadRequest, match="Unknown statistics type"):
        statistic(counts, caller.tenant, "apiCalls", today, today)
    with pytest.raises(BadRequest):
        statistic(counts, caller.tenant, "signups", today, today - timedelta(days=1))
    with pytest.raises(BadRequest):
        statistic(counts, caller.tenant, "signups", today, today + timedelta(days=MAX_DAYS))
    assert (
        len(
            statistic(counts, caller.tenant, "signups", today, today + timedelta(days=MAX_DAYS - 1))
        )
        == MAX_DAYS
    )
