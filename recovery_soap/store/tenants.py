"""Tenants: the one mapping of a tenants row to the core's Tenant, and its repository."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update

from recovery_soap.core.model import Tenant
from recovery_soap.store.base import Repository, tenants_t, utcnow

#: The tenant's columns under the names ``tenant_from_row`` reads, so that a query joining
#: tenants to another table (users, service accounts) maps its tenant the same way.
TENANT_COLUMNS = (
    tenants_t.c.id.label("tenant_id"),
    tenants_t.c.domain.label("tenant_domain"),
    tenants_t.c.notify_changes.label("tenant_notify_changes"),
    tenants_t.c.self_signup.label("tenant_self_signup"),
)


def tenant_from_row(row: Any) -> Tenant:
    """A row selected with TENANT_COLUMNS as the core's Tenant."""
    return Tenant(
        id=row.tenant_id,
        domain=row.tenant_domain,
        notify_changes=bool(row.tenant_notify_changes),
        self_signup=bool(row.tenant_self_signup),
    )


class TenantRepository(Repository):
    def by_domain(self, domain: str) -> Tenant | None:
        row = self._c.execute(select(*TENANT_COLUMNS).where(tenants_t.c.domain == domain)).first()
        return tenant_from_row(row) if row else None

    def set_notify_changes(self, tenant: Tenant, enabled: bool) -> None:
        self._c.execute(
            update(tenants_t).where(tenants_t.c.id == tenant.id).values(notify_changes=enabled)
        )

    def set_self_signup(self, tenant: Tenant, enabled: bool) -> None:
        self._c.execute(
            update(tenants_t).where(tenants_t.c.id == tenant.id).values(self_signup=enabled)
        )

    def add(self, domain: str) -> Tenant:
        new_id = self._c.execute(
            insert(tenants_t).values(domain=domain, created_at=utcnow()).returning(tenants_t.c.id)
        ).scalar_one()
        return Tenant(id=new_id, domain=domain)

    def all(self) -> list[Tenant]:
        rows = self._c.execute(select(*TENANT_COLUMNS).order_by(tenants_t.c.id))
        return [tenant_from_row(r) for r in rows]

    def delete(self, tenant: Tenant) -> None:
        self._c.execute(delete(tenants_t).where(tenants_t.c.id == tenant.id))
