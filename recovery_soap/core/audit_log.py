"""Reading the audit trail back (``recovery-soap audit list``): the newest events, filtered."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from recovery_soap.core.model import AuditEvent
from recovery_soap.core.ports import Clock


class AuditSearch(Protocol):
    def listing(
        self,
        *,
        tenant: str | None,
        username: str | None,
        event: str | None,
        since: datetime | None,
        limit: int,
    ) -> list[AuditEvent]:
        """Events matching every filter given, newest first, at most ``limit``."""
        ...


def recent_events(
    search: AuditSearch,
    clock: Clock,
    *,
    tenant: str | None = None,
    username: str | None = None,
    event: str | None = None,
    since_minutes: int | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """The newest events, of the last ``since_minutes`` when given (0 or None: any age)."""
    since = clock.now() - timedelta(minutes=since_minutes) if since_minutes else None
    return search.listing(tenant=tenant, username=username, event=event, since=since, limit=limit)
