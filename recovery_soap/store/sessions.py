"""Service-account login sessions (AuthenticationAdmin JSESSIONID), shared by every worker."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, insert, or_, select, update

from recovery_soap.core.model import CallerSession
from recovery_soap.store.base import Repository
from recovery_soap.store.models import CallerSessionRow, ServiceAccountRow

sessions_t = cast(Table, CallerSessionRow.__table__)
accounts_t = cast(Table, ServiceAccountRow.__table__)


class SessionRepository(Repository):
    def open(self, session: CallerSession) -> None:
        account_id = select(accounts_t.c.id).where(accounts_t.c.name == session.account)
        self._c.execute(
            insert(sessions_t).values(
                id_hash=session.id_hash,
                account_id=account_id.scalar_subquery(),
                account_state=session.account_state,
                client_address=session.client_address[:255],
                created_at=session.created_at,
                last_seen_at=session.last_seen_at,
                expires_at=session.expires_at,
            )
        )

    def get(self, id_hash: str) -> CallerSession | None:
        row = self._c.execute(
            select(sessions_t, accounts_t.c.name)
            .join(accounts_t, accounts_t.c.id == sessions_t.c.account_id)
            .where(sessions_t.c.id_hash == id_hash)
        ).first()
        if row is None:
            return None
        return CallerSession(
            id_hash=row.id_hash,
            account=row.name,
            account_state=row.account_state,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            client_address=row.client_address,
        )

    def touch(self, id_hash: str, at: datetime) -> None:
        self._c.execute(
            update(sessions_t).where(sessions_t.c.id_hash == id_hash).values(last_seen_at=at)
        )

    def end(self, id_hash: str) -> bool:
        return bool(
            self._c.execute(delete(sessions_t).where(sessions_t.c.id_hash == id_hash)).rowcount
        )

    def end_stale(self, idle_since: datetime, now: datetime) -> int:
        """Remove sessions idle since before ``idle_since`` or past their lifetime."""
        stale = or_(sessions_t.c.last_seen_at < idle_since, sessions_t.c.expires_at <= now)
        return int(self._c.execute(delete(sessions_t).where(stale)).rowcount)
