"""Audit events counted per day, for the subscriber API's statistics (core.statistics)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError

from recovery_soap.core.errors import Unavailable
from recovery_soap.store.models import AuditRow

audit_t = AuditRow.__table__


class AuditCounts:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def per_day(
        self,
        tenant: str,
        events: Sequence[str],
        outcome: str,
        start: datetime,
        end: datetime,
    ) -> dict[date, int]:
        # Timestamps are read and bucketed here: one portable query on SQLite and PostgreSQL.
        query = select(audit_t.c.at).where(
            audit_t.c.tenant == tenant,
            audit_t.c.event.in_(list(events)),
            audit_t.c.outcome == outcome,
            audit_t.c.at >= start,
            audit_t.c.at < end,
        )
        try:
            with self._engine.connect() as connection:
                stamps = connection.execute(query).scalars().all()
        except OperationalError as exc:
            raise Unavailable("the database is unreachable") from exc
        return dict(Counter(stamp.date() for stamp in stamps))
