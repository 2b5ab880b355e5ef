"""The challenge questions a tenant offers, by set and position."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select

from recovery_soap.core.model import Question, Tenant
from recovery_soap.store.base import Repository, questions_t

QUESTIONS_OF_TENANT = (
    select(questions_t.c.set_id, questions_t.c.question, questions_t.c.position)
    .where(questions_t.c.tenant_id == bindparam("tenant_id"))
    .order_by(questions_t.c.set_id, questions_t.c.position, questions_t.c.id)
)


class QuestionRepository(Repository):
    def for_tenant(self, tenant: Tenant) -> list[Question]:
        rows = self._c.execute(QUESTIONS_OF_TENANT, {"tenant_id": tenant.id})
        return [Question(set_id=s, question=q, order=p) for s, q, p in rows]

    def add(self, tenant: Tenant, question: Question) -> None:
        self._c.execute(
            insert(questions_t).values(
                tenant_id=tenant.id,
                set_id=question.set_id,
                question=question.question,
                position=question.order,
            )
        )
