"""The export's queries: tenants with their questions, and users a page at a time in username
order with their claims and answers (three queries a page, whatever the store's size)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from recovery_soap.core.model import Question, Tenant
from recovery_soap.store.base import users_t
from recovery_soap.store.bulk import CHUNK, claims_and_answers
from recovery_soap.store.questions import QuestionRepository
from recovery_soap.store.tenants import TenantRepository


class ExportReader:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def tenants(self) -> list[tuple[Tenant, list[Question]]]:
        """Every tenant, in domain order, with its question sets."""
        found = sorted(TenantRepository(self._c).all(), key=lambda t: t.domain)
        questions = QuestionRepository(self._c)
        return [(t, questions.for_tenant(t)) for t in found]

    def count(self) -> int:
        return int(self._c.execute(select(func.count()).select_from(users_t)).scalar_one())

    def users(self, tenant: Tenant, after: str | None, limit: int = CHUNK) -> list[dict[str, Any]]:
        """Up to ``limit`` users of the tenant after the name ``after``, each as a dict of its
        stored fields with ``claims`` (by URI) and ``answers`` (by set id)."""
        query = (
            select(
                users_t.c.id,
                users_t.c.username,
                users_t.c.password_hash,
                users_t.c.password_changed_at,
                users_t.c.locked,
                users_t.c.pending_confirmation,
                users_t.c.created_at,
            )
            .where(users_t.c.tenant_id == tenant.id)
            .order_by(users_t.c.username)
            .limit(limit)
        )
        if after is not None:
            query = query.where(users_t.c.username > after)
        rows = self._c.execute(query).all()
        claims, answers = claims_and_answers(self._c, [r.id for r in rows])
        return [
            {
                "username": r.username,
                "password_hash": r.password_hash,
                "password_changed_at": _iso(r.password_changed_at),
                "locked": bool(r.locked),
                "pending_confirmation": bool(r.pending_confirmation),
                "created_at": _iso(r.created_at),
                "claims": claims[r.id],
                "answers": {
                    set_id: (a.question, a.answer_hash) for set_id, a in answers[r.id].items()
                },
            }
            for r in rows
        ]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
