"""Service accounts: the applications allowed to call the service, each bound to a tenant."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from recovery_soap.core.model import Permission, ServiceAccount
from recovery_soap.store.base import Repository, accounts_t, dialect_insert, tenants_t, utcnow
from recovery_soap.store.tenants import TENANT_COLUMNS, tenant_from_row

_ACCOUNT_WITH_TENANT = select(
    accounts_t.c.name,
    accounts_t.c.secret_hash,
    accounts_t.c.permissions,
    accounts_t.c.all_tenants,
    accounts_t.c.grants,
    *TENANT_COLUMNS,
).join(tenants_t, tenants_t.c.id == accounts_t.c.tenant_id)


def account_from_row(row: Any) -> ServiceAccount:
    """A row of _ACCOUNT_WITH_TENANT as the core's ServiceAccount."""
    return ServiceAccount(
        name=row.name,
        tenant=tenant_from_row(row),
        secret_hash=row.secret_hash,
        permissions=frozenset(Permission(p) for p in row.permissions.split(",") if p),
        all_tenants=bool(row.all_tenants),
        grants=frozenset(g for g in row.grants.split(" ") if g),
    )


class AccountRepository(Repository):
    def count(self) -> int:
        return int(self._c.execute(select(func.count()).select_from(accounts_t)).scalar_one())

    def get(self, name: str) -> ServiceAccount | None:
        row = self._c.execute(_ACCOUNT_WITH_TENANT.where(accounts_t.c.name == name)).first()
        return None if row is None else account_from_row(row)

    def put(self, account: ServiceAccount) -> None:
        """Insert or update in one statement: workers starting together may both put it."""
        values = {
            "tenant_id": account.tenant.id,
            "secret_hash": account.secret_hash,
            "permissions": ",".join(sorted(p.value for p in account.permissions)),
            "all_tenants": account.all_tenants,
            "grants": " ".join(sorted(account.grants)),
        }
        upsert = dialect_insert(self._c)(accounts_t).values(
            name=account.name, created_at=utcnow(), **values
        )
        self._c.execute(
            upsert.on_conflict_do_update(index_elements=[accounts_t.c.name], set_=values)
        )

    def delete(self, name: str) -> bool:
        """Remove the account; False when there is none of that name."""
        return bool(self._c.execute(delete(accounts_t).where(accounts_t.c.name == name)).rowcount)

    def all(self) -> list[ServiceAccount]:
        rows = self._c.execute(_ACCOUNT_WITH_TENANT.order_by(accounts_t.c.name))
        return [account_from_row(row) for row in rows]
