"""The export's queries: tenants with their questions, and users a page at a time in username
order with their claims and answers (three queries a page, whatever the store's size)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from recovery_soap.core.model import Question, Tenant
from recovery_soap.store.imports import CHUNK, _chunks
from recovery_soap.store.repositories import (
    QuestionRepository,
    TenantRepository,
    answers_t,
    claims_t,
    users_t,
)


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
        claims: dict[int, dict[str, str]] = defaultdict(dict)
        answers: dict[int, dict[str, tuple[str, str]]] = defaultdict(dict)
        for chunk in _chunks([r.id for r in rows]):
            for user_id, uri, value in self._c.execute(
                select(claims_t.c.user_id, claims_t.c.claim_uri, claims_t.c.value).where(
                    claims_t.c.user_id.in_(chunk)
                )
            ).all():
                claims[user_id][uri] = value
            for user_id, set_id, question, answer_hash in self._c.execute(
                select(
                    answers_t.c.user_id,
                    answers_t.c.set_id,
                    answers_t.c.question,
                    answers_t.c.answer_hash,
                ).where(answers_t.c.user_id.in_(chunk))
            ).all():
                answers[user_id][set_id] = (question, answer_hash)
        return [
            {
                "username": r.username,
                "password_hash": r.password_hash,
                "password_changed_at": _iso(r.password_changed_at),
                "locked": bool(r.locked),
                "pending_confirmation": bool(r.pending_confirmation),
                "created_at": _iso(r.created_at),
                "claims": claims[r.id],
                "answers": answers[r.id],
            }
            for r in rows
        ]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
