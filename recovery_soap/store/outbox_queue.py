"""The outbox seen from the dispatcher: claim due messages, record each delivery's outcome.

Claims take a short lease (``claimed_until``), renewed while the dispatcher works through its
batch, so a crashed dispatcher's messages are taken by another once the lease runs out; the
claim is one atomic UPDATE, and on PostgreSQL concurrent dispatchers skip each other's rows.
Texts are sealed at rest (``sealing``) and erased once a message is sent or dead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, delete, func, or_, select, update
from sqlalchemy.exc import DBAPIError

from recovery_soap.core.errors import Unavailable
from recovery_soap.store.models import OutboxRow
from recovery_soap.store.sealing import Sealer, UnreadableMessage, message_context, sealer_for

outbox_t = cast(Table, OutboxRow.__table__)
#: A sent or dead message keeps its delivery record but not its text.
ERASED = {"body": "", "html_body": None}


@dataclass(frozen=True)
class QueuedMessage:
    id: int
    kind: str
    recipient: str
    subject: str
    body: str
    html: str | None
    sender: str | None
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None
    next_attempt_at: datetime | None = None
    readable: bool = True  # False: sealed under a key this service no longer has


def _message(row: Any) -> QueuedMessage:
    return QueuedMessage(
        id=row.id,
        kind=row.kind,
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        html=row.html_body,
        sender=row.sender,
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
    )


class OutboxQueue:
    def __init__(self, engine: Engine, sealer: Sealer | None = None) -> None:
        self._engine = engine
        self._sealer = sealer or sealer_for(engine)

    @contextmanager
    def _connected(self, *, transaction: bool = True) -> Iterator[Connection]:
        """A connection (in a transaction unless told otherwise); a database failure is
        Unavailable, caused by the driver's error, for the dispatcher and the commands."""
        try:
            with self._engine.begin() if transaction else self._engine.connect() as connection:
                yield connection
        except DBAPIError as exc:
            raise Unavailable("the database is unreachable") from exc

    def claim(self, now: datetime, lease: timedelta, limit: int = 20) -> list[QueuedMessage]:
        """Take up to ``limit`` due messages under a lease, their texts opened for sending.

        One UPDATE ... RETURNING claims them, so two dispatchers never take the same message
        (PostgreSQL: the row locks of the inner select are skipped, not waited for).
        """
        due = (
            select(outbox_t.c.id)
            .where(
                outbox_t.c.status == "pending",
                outbox_t.c.next_attempt_at <= now,
                or_(outbox_t.c.claimed_until.is_(None), outbox_t.c.claimed_until < now),
            )
            .order_by(outbox_t.c.id)
            .limit(limit)
        )
        if self._engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        claim = (
            update(outbox_t)
            .where(outbox_t.c.id.in_(due.scalar_subquery()))
            .values(claimed_until=now + lease)
            .returning(*outbox_t.c)
        )
        with self._connected() as connection:
            rows = sorted(connection.execute(claim).all(), key=lambda r: r.id)
        return [self._opened(_message(r)) for r in rows]

    def renew(self, message_ids: list[int], now: datetime, lease: timedelta) -> None:
        """Extend the lease of messages still being worked on (a live dispatcher's batch)."""
        if not message_ids:
            return
        with self._connected() as connection:
            connection.execute(
                update(outbox_t)
                .where(outbox_t.c.id.in_(message_ids), outbox_t.c.status == "pending")
                .values(claimed_until=now + lease)
            )

    def _opened(self, message: QueuedMessage) -> QueuedMessage:
        context = message_context(message.kind, message.recipient)
        try:
            body = self._sealer.open(message.body, context)
            html = None if message.html is None else self._sealer.open(message.html, context)
        except UnreadableMessage:
            return replace(message, readable=False)
        return replace(message, body=body, html=html)

    def mark_sent(self, message_id: int, now: datetime) -> None:
        """Record the delivery and erase the message's text: its code is gone from the store."""
        with self._connected() as connection:
            connection.execute(
                update(outbox_t)
                .where(outbox_t.c.id == message_id)
                .values(
                    status="sent",
                    sent_at=now,
                    claimed_until=None,
                    attempts=outbox_t.c.attempts + 1,
                    **ERASED,
                )
            )

    def mark_failed(
        self, message: QueuedMessage, now: datetime, error: str, max_attempts: int
    ) -> str:
        """Schedule a retry with exponential backoff, or mark the message dead."""
        attempts = message.attempts + 1
        status = "dead" if attempts >= max_attempts else "pending"
        delay = timedelta(seconds=min(3600, 5 * 2 ** (attempts - 1)))
        with self._connected() as connection:
            connection.execute(
                update(outbox_t)
                .where(outbox_t.c.id == message.id)
                .values(
                    status=status,
                    attempts=attempts,
                    last_error=error[:1000],
                    next_attempt_at=now + delay,
                    claimed_until=None,
                    **(ERASED if status == "dead" else {}),
                )
            )
        return status

    def retry_now(self, now: datetime) -> int:
        """Make every pending message due at once (after an outage was fixed, say)."""
        with self._connected() as connection:
            return connection.execute(
                update(outbox_t)
                .where(outbox_t.c.status == "pending")
                .values(next_attempt_at=now, claimed_until=None)
            ).rowcount

    def revive(self, now: datetime, message_id: int | None = None) -> int:
        """Give dead messages (or one message) that still hold their text a fresh set of
        attempts, due now. Messages given up by the dispatcher lost their text (and code)."""
        query = (
            update(outbox_t)
            .where(outbox_t.c.body != "")
            .values(status="pending", attempts=0, next_attempt_at=now, claimed_until=None)
        )
        query = (
            query.where(outbox_t.c.id == message_id)
            if message_id
            else query.where(outbox_t.c.status == "dead")
        )
        with self._connected() as connection:
            return int(connection.execute(query).rowcount)

    def purge(self, before: datetime, statuses: tuple[str, ...] = ("sent",)) -> int:
        """Delete delivered (or dead) messages created before ``before``: their codes are gone."""
        with self._connected() as connection:
            return int(
                connection.execute(
                    delete(outbox_t).where(
                        outbox_t.c.status.in_(statuses), outbox_t.c.created_at < before
                    )
                ).rowcount
            )

    def listing(self, status: str | None = None, limit: int = 100) -> list[QueuedMessage]:
        query = select(outbox_t).order_by(outbox_t.c.id.desc()).limit(limit)
        if status:
            query = query.where(outbox_t.c.status == status)
        with self._connected(transaction=False) as connection:
            return [_message(r) for r in connection.execute(query)]

    def counts(self) -> dict[str, int]:
        with self._connected(transaction=False) as connection:
            rows = connection.execute(
                select(outbox_t.c.status, func.count()).group_by(outbox_t.c.status)
            )
            return {status: count for status, count in rows}
