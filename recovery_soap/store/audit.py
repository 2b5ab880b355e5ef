"""The audit trail: one row per security-relevant event, written in the use case's transaction."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select

from recovery_soap.core.model import AuditEvent
from recovery_soap.store.base import Repository, audit_t
from recovery_soap.store.write_behind import write_behind

_AUDIT_FIELDS = tuple(f.name for f in dataclasses.fields(AuditEvent))
_ADD_AUDIT = write_behind(  # hook: sent with the COMMIT on PostgreSQL (store/write_behind.py)
    insert(audit_t).values({name: bindparam(name) for name in _AUDIT_FIELDS})
)
_AUDIT_LENGTHS = {name: getattr(audit_t.c[name].type, "length", None) for name in _AUDIT_FIELDS}


def audit_from_row(row: Any) -> AuditEvent:
    """An audit row as the core's AuditEvent."""
    return AuditEvent(**{name: getattr(row, name) for name in _AUDIT_FIELDS})


class AuditRepository(Repository):
    def record(self, event: AuditEvent) -> None:
        """Texts longer than their column (a user name as long as the request allows) are cut:
        PostgreSQL would refuse the record, and with it the request."""
        values = {name: getattr(event, name) for name in _AUDIT_FIELDS}
        for name, length in _AUDIT_LENGTHS.items():
            if length and isinstance(values[name], str):
                values[name] = values[name][:length]
        self._c.execute(_ADD_AUDIT, values)


def audit_listing(
    connection: Connection,
    *,
    tenant: str | None = None,
    username: str | None = None,
    event: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """Audit events, newest first, filtered (for `recovery-soap audit list`)."""
    query = select(audit_t).order_by(audit_t.c.id.desc()).limit(limit)
    for column, value in (
        (audit_t.c.tenant, tenant),
        (audit_t.c.username, username),
        (audit_t.c.event, event),
    ):
        if value:
            query = query.where(column == value)
    if since is not None:
        query = query.where(audit_t.c.at >= since)
    return [audit_from_row(r) for r in connection.execute(query)]


class AuditSearchStore:
    """The core's AuditSearch port on the audit table (one short connection per search)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def listing(
        self,
        *,
        tenant: str | None,
        username: str | None,
        event: str | None,
        since: datetime | None,
        limit: int,
    ) -> list[AuditEvent]:
        with self._engine.connect() as connection:
            return audit_listing(
                connection, tenant=tenant, username=username, event=event, since=since, limit=limit
            )
