"""Service accounts: the applications allowed to call the service, each bound to a tenant.

Their secrets are machine-generated and checked on every request, so they are stored as a keyed
fast hash (HMAC-SHA-256 under the server key) rather than a slow password hash.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from recovery_soap.core import authorisation
from recovery_soap.core.errors import BadRequest
from recovery_soap.core.model import (
    AuditEvent,
    Caller,
    Limit,
    Permission,
    ServiceAccount,
    Tenant,
)
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.scopes import ALL_GRANTS, check_grants, check_scopes
from recovery_soap.core.services import Services

SECRET_LABEL = "service-account"
#: Every right: the bootstrap and demo accounts (core/authorisation.py).
ALL_PERMISSIONS = authorisation.FULL_SET
# Compared against when the account does not exist, so both paths cost the same.
_ABSENT = "0" * 64


class CallerCache:
    """Successful logins remembered for a few seconds, so that a busy caller does not cost a
    database read per request; a changed or removed account takes effect within ``ttl``."""

    def __init__(self, ttl: float = 5.0, size: int = 1024) -> None:
        self._ttl, self._size = ttl, size
        self._entries: dict[tuple[str, str], tuple[float, ServiceAccount]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> ServiceAccount | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: tuple[str, str], account: ServiceAccount) -> None:
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self._ttl, account)


def authenticate(env: Services, name: str, secret: str, client_address: str = "") -> Caller | None:
    """The caller for these HTTP Basic credentials, or None (unknown name, wrong secret alike)."""
    account = verified_account(env, name, secret)
    return None if account is None else caller_for(account, client_address)


def verified_account(env: Services, name: str, secret: str) -> ServiceAccount | None:
    """The account these credentials belong to, or None (unknown name, wrong secret alike)."""
    presented = env.keyed.exact_digest(SECRET_LABEL, secret)
    account = env.callers.get((name, presented))
    if account is None:
        with env.uow(readonly=True) as uow:
            stored = uow.accounts.get(name)
        if not env.keyed.same(presented, stored.secret_hash if stored else _ABSENT):
            return None
        assert stored is not None
        account = stored
        env.callers.put((name, presented), account)
    return account


def caller_for(account: ServiceAccount, client_address: str = "") -> Caller:
    """The caller a request of this account runs as, however it logged in (Basic or session)."""
    return Caller(
        account=account.name,
        tenant=account.tenant,
        permissions=account.permissions,
        all_tenants=account.all_tenants,
        client_address=client_address,
    )


def record_auth_failure(env: Services, name: str, client_address: str) -> None:
    """Audit a failed caller login and count it against the client address."""
    env.limiter.allow(Limit.AUTH_FAILURES_PER_ADDRESS, client_address or "-")
    with env.uow() as uow:
        uow.audit.record(
            AuditEvent(
                at=env.clock.now(),
                event="caller_authentication",
                outcome="failure",
                caller=name[:255],
                client_address=client_address,
            )
        )
        uow.commit()


def too_many_failures(env: Services, client_address: str) -> bool:
    return env.limiter.exhausted(Limit.AUTH_FAILURES_PER_ADDRESS, client_address or "-")


def put_account(
    env: Services,
    uow: UnitOfWork,
    name: str,
    secret: str,
    tenant: Tenant,
    permissions: Iterable[Permission] = (),
    *,
    all_tenants: bool = False,
    scopes: Iterable[str] | None = None,
    grants: Iterable[str] | None = None,
) -> ServiceAccount:
    """Create the account or replace its secret and rights: exactly ``permissions`` and the
    rights ``scopes`` spell (nothing implicit); as an OAuth client it may use ``grants``
    (default: both; what its tokens carry is bounded by its rights)."""
    if not name or ":" in name or not name.strip():
        raise BadRequest("A service-account name must be non-empty and contain no ':'")
    if len(secret) < 12:
        raise BadRequest("A service-account secret must be at least 12 characters")
    rights = frozenset(permissions) | authorisation.rights_of(check_scopes(scopes or ()))
    account = ServiceAccount(
        name=name,
        tenant=tenant,
        secret_hash=env.keyed.exact_digest(SECRET_LABEL, secret),
        permissions=rights,
        all_tenants=all_tenants,
        grants=check_grants(ALL_GRANTS if grants is None else grants),
    )
    uow.accounts.put(account)
    return account
