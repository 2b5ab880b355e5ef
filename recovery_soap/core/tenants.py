"""Which tenant a request acts in, and whether the caller may act there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from recovery_soap.core.errors import InvalidTenant, InvalidUser, RecoveryError, RequestRefused
from recovery_soap.core.model import Caller, Presented, Tenant, User
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.services import Services


@dataclass(frozen=True)
class QualifiedName:
    """A username split into its tenant and the name within the tenant."""

    tenant: Tenant
    name: str
    as_given: str


def caller_may_use(env: Services, caller: Caller, tenant: Tenant) -> bool:
    return tenant.id == caller.tenant.id or (env.policy.saas_mode and caller.all_tenants)


def target_tenant(
    env: Services,
    uow: UnitOfWork,
    caller: Caller,
    tenant_domain: str | None,
    refused: Callable[[], RecoveryError | RequestRefused],
) -> Tenant:
    """The tenant a tenantDomain argument names (empty: the caller's), if the caller may use it."""
    domain = (tenant_domain or "").strip()
    if not domain or domain == caller.tenant.domain:
        return caller.tenant
    if not (env.policy.saas_mode and caller.all_tenants):
        raise refused()
    tenant = uow.tenants.by_domain(domain)
    if tenant is None:
        raise InvalidTenant(f"Invalid tenant domain : {domain}")
    return tenant


def qualify(
    env: Services,
    uow: UnitOfWork,
    caller: Caller,
    username: str | None,
    tenant_domain: str | None = None,
    refused: Callable[[], RecoveryError | RequestRefused] | None = None,
) -> QualifiedName:
    """Split ``name@tenant``: the part after the last ``@`` is a tenant only if that tenant exists.

    So ``alice@example.org`` stays a username (unless example.org is a tenant) and
    ``alice@example.org@acme.com`` is alice@example.org in tenant acme.com.
    """
    given = (username or "").strip()

    def refusal() -> RecoveryError | RequestRefused:
        return refused() if refused else InvalidUser(f"invalid user : {given}")

    if not given:
        raise InvalidUser("invalid user : ")
    name, tenant = given, None
    head, sep, tail = given.rpartition("@")
    if sep and head and tail:
        tenant = uow.tenants.by_domain(tail)
        if tenant is not None:
            name = head
    if tenant is None:
        tenant = target_tenant(env, uow, caller, tenant_domain, refusal)
    else:
        domain = (tenant_domain or "").strip()
        if domain and domain != tenant.domain:
            raise refusal()
        if not caller_may_use(env, caller, tenant):
            raise refusal()
    return QualifiedName(tenant=tenant, name=name, as_given=given)


def find_user(
    env: Services, uow: UnitOfWork, caller: Caller, username: str | None
) -> tuple[User | None, str]:
    """The user a request names (None if there is none) and the name as the caller gave it."""
    name = qualify(env, uow, caller, username)
    return uow.users.get(name.tenant, name.name), name.as_given


def find_subject(
    env: Services, uow: UnitOfWork, caller: Caller, username: str | None
) -> tuple[User | None, Presented, str]:
    """As find_user, with the name as presented in its tenant: what failure counts, locks and
    mail limits are kept for, whether a user has the name or not."""
    name = qualify(env, uow, caller, username)
    return uow.users.get(name.tenant, name.name), Presented(name.tenant, name.name), name.as_given
