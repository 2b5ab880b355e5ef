"""Set-up beyond the shared flows (tests/soap/flows.py): tenants and service accounts."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from recovery_soap.core import admin, callers
from recovery_soap.core.model import Permission
from recovery_soap.core.scopes import ALL_SCOPES
from tests.conftest import LiveServer, unique

#: Parameters for tests of faults: both SOAP versions (spyne's Soap12 once lost the message).
FAULT_PROTOCOLS = [pytest.param(False, id="soap11"), pytest.param(True, id="soap12")]


def new_tenant(live: LiveServer) -> str:
    """A tenant of its own (the database is shared by the whole run), with default questions."""
    domain = f"{unique('acme')}.test"
    with live.app.env.uow() as uow:
        admin.add_tenant(uow, domain)
        uow.commit()
    return domain


#: The rights SOAP names (its three permission groups).
SOAP_RIGHTS = (Permission.RECOVER, Permission.VIEW, Permission.REGISTER)


def service_account(
    live: LiveServer,
    tenant_domain: str,
    permissions: Iterable[Permission] = SOAP_RIGHTS,
    *,
    all_tenants: bool = False,
    scopes: Iterable[str] | None = None,
    grants: Iterable[str] | None = None,
) -> tuple[str, str]:
    """Credentials of a new service account bound to ``tenant_domain``, holding
    ``permissions`` and the rights ``scopes`` spell (every scope when None), and as an OAuth
    client ``grants`` (both when None)."""
    credentials = (unique("app"), f"secret-{unique()}")
    env = live.app.env
    with env.uow() as uow:
        callers.put_account(
            env,
            uow,
            *credentials,
            admin.tenant(uow, tenant_domain),
            permissions,
            all_tenants=all_tenants,
            scopes=ALL_SCOPES if scopes is None else scopes,
            grants=grants,
        )
        uow.commit()
    return credentials
