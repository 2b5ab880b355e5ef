"""Failed secret checks and locks per name presented in a tenant (the guards table)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, case, delete, select, update

from recovery_soap.core.model import GuardState, Presented, User
from recovery_soap.store.base import Repository, dialect_insert, guards_t
from recovery_soap.store.write_behind import write_behind

#: The guard state's columns, under the names ``guard_from_row`` reads.
GUARD_COLUMNS = (guards_t.c.failures, guards_t.c.locked_until, guards_t.c.window_started_at)


def guard_from_row(row: Any) -> GuardState | None:
    """A row selected with GUARD_COLUMNS as the core's GuardState; None when the row is the
    empty side of an outer join (no guard row)."""
    if row.window_started_at is None:
        return None
    return GuardState(
        failures=row.failures,
        locked_until=row.locked_until,
        window_started_at=row.window_started_at,
    )


def guard_key(subject: User | Presented) -> tuple[Any, Any]:
    """The WHERE clauses selecting the subject's guard row."""
    return (guards_t.c.tenant_id == subject.tenant.id, guards_t.c.name == subject.username)


_CLEAR_GUARD = write_behind(  # hook: sent with the COMMIT on PostgreSQL (store/write_behind.py)
    delete(guards_t).where(
        guards_t.c.tenant_id == bindparam("guard_tenant"),
        guards_t.c.name == bindparam("guard_name"),
    )
)


class GuardRepository(Repository):
    """Failed secret checks per name presented in a tenant, counted in a window; upserted
    atomically."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._known: dict[tuple[int, str], GuardState | None] = {}

    def remember(self, subject: User | Presented, state: GuardState | None) -> None:
        """The state read with the user in this transaction (until this repository writes it)."""
        self._known[(subject.tenant.id, subject.username)] = state

    def _forget(self, subject: User | Presented) -> None:
        self._known.pop((subject.tenant.id, subject.username), None)

    def state(self, subject: User | Presented) -> GuardState | None:
        key = (subject.tenant.id, subject.username)
        if key in self._known:
            return self._known[key]
        row = self._c.execute(select(*GUARD_COLUMNS).where(*guard_key(subject))).first()
        return None if row is None else guard_from_row(row)

    def record_failure(
        self, subject: User | Presented, now: datetime, window: timedelta
    ) -> GuardState:
        self._forget(subject)
        upsert = dialect_insert(self._c)(guards_t).values(
            tenant_id=subject.tenant.id, name=subject.username, failures=1, window_started_at=now
        )
        stale = guards_t.c.window_started_at < now - window
        self._c.execute(
            upsert.on_conflict_do_update(
                index_elements=[guards_t.c.tenant_id, guards_t.c.name],
                set_={
                    "failures": case((stale, 1), else_=guards_t.c.failures + 1),
                    "window_started_at": case((stale, now), else_=guards_t.c.window_started_at),
                },
            )
        )
        state = self.state(subject)
        assert state is not None
        return state

    def lock(self, subject: User | Presented, until: datetime) -> None:
        self._forget(subject)
        self._c.execute(
            update(guards_t).where(*guard_key(subject)).values(locked_until=until, failures=0)
        )

    def clear(self, subject: User | Presented) -> None:
        self._forget(subject)
        self._c.execute(
            _CLEAR_GUARD, {"guard_tenant": subject.tenant.id, "guard_name": subject.username}
        )
