"""What every repository shares: the tables' handles, the connection it works on, and the
dialect's INSERT with ON CONFLICT."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

from recovery_soap.store.models import (
    AnswerRow,
    AuditRow,
    CaptchaRow,
    ClaimRow,
    CodeRow,
    GuardRow,
    OutboxRow,
    QuestionRow,
    ServiceAccountRow,
    TenantRow,
    UserRow,
)

tenants_t = cast(Table, TenantRow.__table__)
users_t = cast(Table, UserRow.__table__)
claims_t = cast(Table, ClaimRow.__table__)
answers_t = cast(Table, AnswerRow.__table__)
questions_t = cast(Table, QuestionRow.__table__)
codes_t = cast(Table, CodeRow.__table__)
captchas_t = cast(Table, CaptchaRow.__table__)
outbox_t = cast(Table, OutboxRow.__table__)
accounts_t = cast(Table, ServiceAccountRow.__table__)
guards_t = cast(Table, GuardRow.__table__)
audit_t = cast(Table, AuditRow.__table__)


def utcnow() -> datetime:
    """Now, as the naive UTC the tables store."""
    return datetime.now(UTC).replace(tzinfo=None)


class Repository:
    """A set of queries on the unit of work's connection (its transaction is the caller's)."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection


def dialect_insert(connection: Connection) -> Any:
    """INSERT with ON CONFLICT support for the connection's dialect."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert
