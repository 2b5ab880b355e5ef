"""The audit trail read back through the composition root: newest first, every filter applied,
the age limit taken from the clock, on this run's backend."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from recovery_soap.composition import audit_search
from recovery_soap.core.audit_log import recent_events
from recovery_soap.core.model import AuditEvent
from recovery_soap.store.db import make_engine
from recovery_soap.store.uow import uow_factory
from tests.conftest import unique

NOW = datetime(2026, 1, 1, 12, 0, 0)


class FixedClock:
    def now(self) -> datetime:
        return NOW


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_recent_events_are_filtered_newest_first(engine) -> None:
    tenant, user = unique("tenant"), unique()
    stamps = [NOW - timedelta(minutes=m) for m in (90, 30, 10)]
    with uow_factory(engine)() as uow:
        for at in stamps:
            uow.audit.record(AuditEvent(at, "login", "success", tenant, user))
        uow.audit.record(AuditEvent(NOW, "login", "failure", tenant, unique()))
        uow.audit.record(AuditEvent(NOW, "password_changed", "success", tenant, user))
        uow.commit()
    search = audit_search(engine)

    found = recent_events(search, FixedClock(), tenant=tenant, username=user, event="login")
    assert [e.at for e in found] == sorted(stamps, reverse=True)
    recent = recent_events(search, FixedClock(), tenant=tenant, username=user, since_minutes=60)
    assert [(e.event, e.at) for e in recent] == [
        ("password_changed", NOW),
        ("login", stamps[2]),
        ("login", stamps[1]),
    ]
    assert len(recent_events(search, FixedClock(), tenant=tenant, limit=2)) == 2
