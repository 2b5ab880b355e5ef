"""Each table has one row mapper: a tenant reached through a user or a service account is the
same tenant ``by_domain`` gives, every field included, on this run's backend."""

from __future__ import annotations

from datetime import datetime

import pytest

from recovery_soap.core.model import Permission, ServiceAccount
from recovery_soap.store.db import make_engine
from recovery_soap.store.uow import uow_factory
from tests.conftest import unique

NOW = datetime(2026, 1, 1, 12, 0, 0)


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("self_signup", [True, False])
@pytest.mark.parametrize("notify_changes", [True, False])
def test_a_tenant_reads_the_same_through_each_table(
    engine, self_signup: bool, notify_changes: bool
) -> None:
    with uow_factory(engine)() as uow:
        tenant = uow.tenants.add(unique("tenant") + ".example")
        uow.tenants.set_self_signup(tenant, self_signup)
        uow.tenants.set_notify_changes(tenant, notify_changes)
        stored = uow.tenants.by_domain(tenant.domain)
        assert stored is not None
        assert (stored.self_signup, stored.notify_changes) == (self_signup, notify_changes)

        user = uow.users.add(stored, unique(), "x", locked=False, pending=False, now=NOW)
        by_id = uow.users.by_id(user.id)
        assert by_id is not None
        assert by_id.tenant == stored

        name = unique("account")
        uow.accounts.put(
            ServiceAccount(
                name=name,
                tenant=stored,
                secret_hash="h",
                permissions=frozenset({Permission.RECOVER}),
                all_tenants=False,
            )
        )
        account = uow.accounts.get(name)
        assert account is not None
        assert account.tenant == stored
        assert [a.tenant for a in uow.accounts.all() if a.name == name] == [stored]
        assert [t for t in uow.tenants.all() if t.id == stored.id] == [stored]
