"""OAuth 2.0 grants (RFC 6749): which client may obtain which token for whom, with which scopes.

The service accounts are the OAuth clients. A client-credentials token speaks for the account
itself; a password-grant token for one of the users of a tenant the account may use. Signing
and the wire format are the REST face's business; this module decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from recovery_soap.core import callers
from recovery_soap.core.env import Env
from recovery_soap.core.errors import AccountLocked, LoginFailed, RequestRefused
from recovery_soap.core.guard import RecoveryLocked, TooManyRequests
from recovery_soap.core.login import log_in
from recovery_soap.core.model import Caller, ServiceAccount, Tenant, User
from recovery_soap.core.scopes import CLIENT_CREDENTIALS, PASSWORD, USER_SCOPES


class GrantRefused(RequestRefused):
    """A token request the server refuses, with its RFC 6749 section 5.2 error code."""

    def __init__(self, message: str, error: str = "invalid_request") -> None:
        super().__init__(message)
        self.error = error


@dataclass(frozen=True)
class Grant:
    """What a new token will say: for whom, by which client, in which tenant, with what scope."""

    tenant: Tenant
    client_id: str
    scopes: frozenset[str]
    username: str | None = None


def authenticate_client(env: Env, client_id: str, secret: str, address: str) -> ServiceAccount:
    """The service account behind these client credentials (invalid_client otherwise)."""
    caller = callers.authenticate(env, client_id, secret, address) if client_id else None
    if caller is None:
        callers.record_auth_failure(env, client_id, address)
        raise GrantRefused("Client authentication failed.", "invalid_client")
    with env.uow(readonly=True) as uow:
        account = uow.accounts.get(client_id)
    if account is None:
        raise GrantRefused("Client authentication failed.", "invalid_client")
    return account


def _scopes(allowed: frozenset[str], requested: str | None) -> frozenset[str]:
    """requested ∩ allowed; everything allowed when nothing is requested; none is an error."""
    asked = frozenset((requested or "").split())
    chosen = allowed & asked if asked else allowed
    if not chosen:
        raise GrantRefused("None of the requested scopes may be granted.", "invalid_scope")
    return chosen


def _allowed(client: ServiceAccount, grant_type: str) -> None:
    if grant_type not in client.grants:
        raise GrantRefused(f"The client may not use the {grant_type} grant.", "unauthorized_client")


def client_credentials(env: Env, client: ServiceAccount, requested: str | None) -> Grant:
    _allowed(client, CLIENT_CREDENTIALS)
    return Grant(client.tenant, client.name, _scopes(client.scopes, requested))


def as_caller(client: ServiceAccount, address: str) -> Caller:
    return Caller(
        account=client.name,
        tenant=client.tenant,
        permissions=client.permissions,
        all_tenants=client.all_tenants,
        client_address=address,
    )


def password(
    env: Env,
    client: ServiceAccount,
    username: str | None,
    secret: str | None,
    requested: str | None,
    address: str,
) -> Grant:
    """A token for the user these credentials log in (invalid_grant for any login failure)."""
    _allowed(client, PASSWORD)
    scopes = _scopes(client.scopes & USER_SCOPES, requested)
    if not username or secret is None:
        raise GrantRefused("username and password are required.", "invalid_request")
    try:
        user: User = log_in(env, as_caller(client, address), username, secret)
    except (LoginFailed, AccountLocked, RecoveryLocked) as error:
        raise GrantRefused(error.message, "invalid_grant") from None
    except TooManyRequests as error:
        raise GrantRefused(error.message, "slow_down") from None
    return Grant(user.tenant, client.name, scopes, user.username)


def current_subject(env: Env, tenant_domain: str, username: str | None) -> Tenant | None:
    """The token's tenant if it, and its user (for a user token), still exist and may act:
    a token outlives neither a deleted tenant nor a locked or deleted user."""
    with env.uow(readonly=True) as uow:
        tenant = uow.tenants.by_domain(tenant_domain)
        if tenant is None or username is None:
            return tenant
        user = uow.users.get(tenant, username)
    if user is None or user.locked or user.pending_confirmation:
        return None
    return tenant
