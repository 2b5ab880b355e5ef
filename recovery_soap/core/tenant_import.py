"""A tenant as an export describes it, brought into the store: created when missing (with the
default question sets), its settings set, the questions it lacks added; nothing removed."""

from __future__ import annotations

from collections.abc import Sequence

from recovery_soap.core import admin
from recovery_soap.core.model import Question, Tenant
from recovery_soap.core.ports import UnitOfWork


def apply_tenant(
    uow: UnitOfWork,
    domain: str,
    *,
    notify_changes: bool,
    self_signup: bool,
    questions: Sequence[Question],
) -> Tenant:
    """The tenant, made to match; raises BadRequest for a domain that cannot be a tenant."""
    tenant = uow.tenants.by_domain(domain.strip().lower()) or admin.add_tenant(uow, domain)
    if tenant.notify_changes != notify_changes:
        uow.tenants.set_notify_changes(tenant, notify_changes)
    if tenant.self_signup != self_signup:
        uow.tenants.set_self_signup(tenant, self_signup)
    have = {(q.set_id, q.question) for q in uow.questions.for_tenant(tenant)}
    for question in questions:
        if (question.set_id, question.question) not in have:
            uow.questions.add(tenant, question)
            have.add((question.set_id, question.question))
    return tenant
