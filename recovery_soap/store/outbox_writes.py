"""The outbox seen from a use case: messages queued in the caller's transaction, their texts
sealed (a body holds the user's code); the dispatcher's side is outbox_queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from recovery_soap.core.model import OutgoingMessage
from recovery_soap.store.base import Repository, outbox_t
from recovery_soap.store.sealing import Sealer, message_context

#: What a message is made of; a requeued copy takes exactly these from the original.
_MESSAGE_COLUMNS = ("tenant_id", "kind", "recipient", "subject", "body", "html_body", "sender")


def _fresh(now: datetime) -> dict[str, Any]:
    """The delivery state of a message just queued."""
    return {"status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}


class OutboxRepository(Repository):
    """Queues messages with their texts sealed (the body holds the user's code)."""

    def __init__(self, connection: Connection, sealer: Sealer) -> None:
        super().__init__(connection)
        self._sealer = sealer

    def enqueue(self, message: OutgoingMessage, now: datetime) -> int:
        context = message_context(message.kind.value, message.recipient)
        content = {
            "tenant_id": message.tenant_id,
            "kind": message.kind.value,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": self._sealer.seal(message.body, context),
            "html_body": None if message.html is None else self._sealer.seal(message.html, context),
            "sender": message.sender,
        }
        inserted = insert(outbox_t).values(**content, **_fresh(now)).returning(outbox_t.c.id)
        return int(self._c.execute(inserted).scalar_one())

    def requeue(self, message_id: int, now: datetime) -> bool:
        """Queue a copy of a message that still holds its (sealed) text; False once it was
        sent or given up and its text erased."""
        columns = [outbox_t.c[name] for name in _MESSAGE_COLUMNS]
        row = self._c.execute(
            select(*columns).where(outbox_t.c.id == message_id, outbox_t.c.body != "")
        ).first()
        if row is None:
            return False
        self._c.execute(insert(outbox_t).values(**row._asdict(), **_fresh(now)))
        return True
