"""The statistics the subscriber API can answer truthfully: counts of audited events per day
in the caller's tenant. Anything the hosted API reports about API usage this service never saw,
so those types are refused by name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from recovery_soap.core.errors import BadRequest
from recovery_soap.core.model import Tenant

#: Statistic type -> (audit events counted, outcome counted).
TYPES: dict[str, tuple[tuple[str, ...], str]] = {
    "signups": (("registered", "invitee_added"), "success"),
    "invitations": (("invited",), "success"),
    "confirmations": (("confirmed", "invite_confirmed"), "success"),
    "passwordRecoveries": (("password_changed",), "success"),
    "logins": (("login",), "success"),
    "failedLogins": (("login",), "failure"),
}
MAX_DAYS = 366


class EventCounts(Protocol):
    def per_day(
        self,
        tenant: str,
        events: Sequence[str],
        outcome: str,
        start: datetime,
        end: datetime,
    ) -> dict[date, int]: ...


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


def statistic(
    counts: EventCounts, tenant: Tenant, kind: str | None, start: date, end: date
) -> list[DayCount]:
    """One count per day from ``start`` to ``end`` inclusive (days without events count 0)."""
    if kind not in TYPES:
        raise BadRequest(
            f"Unknown statistics type {kind!r}; this service answers: {', '.join(TYPES)}"
        )
    if end < start or (end - start).days >= MAX_DAYS:
        raise BadRequest(f"The period must run forwards and span at most {MAX_DAYS} days")
    events, outcome = TYPES[kind]
    found = counts.per_day(
        tenant.domain,
        events,
        outcome,
        datetime.combine(start, datetime.min.time()),
        datetime.combine(end + timedelta(days=1), datetime.min.time()),
    )
    days = (end - start).days + 1
    return [
        DayCount(start + timedelta(days=n), found.get(start + timedelta(days=n), 0))
        for n in range(days)
    ]
