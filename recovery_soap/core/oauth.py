"""OAuth 2.0 grants (RFC 6749): which client may obtain which token for whom, with which scopes.

The service accounts are the OAuth clients. A client-credentials token speaks for the account
itself; a password-grant token for one of the users of a tenant the account may use. Signing
and the wire format are the REST face's business; this module decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from recovery_soap.core import authorisation, callers
from recovery_soap.core.errors import (
    AccountLocked,
    BadRequest,
    GrantRefused,
    LoginFailed,
    RecoveryLocked,
    TooManyRequests,
)
from recovery_soap.core.login import log_in
from recovery_soap.core.model import Caller, Permission, ServiceAccount, Tenant, User
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.scopes import (
    CLIENT_CREDENTIALS,
    PASSWORD,
    USER_SCOPES,
    check_grants,
    check_scopes,
)
from recovery_soap.core.services import Services
from recovery_soap.core.tenants import caller_may_use

CLIENT_VERSION_LABEL = "token-client"
USER_VERSION_LABEL = "token-user"


@dataclass(frozen=True)
class Grant:
    """What a new token will say: for whom, by which client, in which tenant, with what scope.

    A user token names its user by id (never reused for another user: ``user_version`` also
    covers the password hash, salted per user) and by the version of its credentials.
    """

    tenant: Tenant
    client_id: str
    scopes: frozenset[str]
    username: str | None = None
    client_version: str = ""  # client_version() of the account when the token was obtained
    user_id: int | None = None
    user_version: str = ""  # user_version() of the user when the token was obtained


def authenticate_client(env: Services, client_id: str, secret: str, address: str) -> ServiceAccount:
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


def client_version(env: Services, client: ServiceAccount) -> str:
    """A short keyed fingerprint of the account's name and secret, carried by its tokens: a new
    secret, or an account deleted and created again under its name, ends the older tokens."""
    return env.keyed.exact_digest(CLIENT_VERSION_LABEL, f"{client.name}\0{client.secret_hash}")[:16]


def user_version(env: Services, user: User) -> str:
    """A short keyed fingerprint of the user's id, password hash and credential version,
    carried by the user's tokens: a password change, a lock, a deletion (and a new user under
    the same name, even with the same id) ends the older tokens."""
    stamp = f"{user.id}\0{user.password_hash}\0{user.credential_version}"
    return env.keyed.exact_digest(USER_VERSION_LABEL, stamp)[:16]


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


def client_credentials(env: Services, client: ServiceAccount, requested: str | None) -> Grant:
    _allowed(client, CLIENT_CREDENTIALS)
    scopes = _scopes(authorisation.scopes_of(client.permissions), requested)
    return Grant(client.tenant, client.name, scopes, client_version=client_version(env, client))


def as_caller(client: ServiceAccount, address: str) -> Caller:
    return Caller(
        account=client.name,
        tenant=client.tenant,
        permissions=client.permissions,
        all_tenants=client.all_tenants,
        client_address=address,
    )


def password(
    env: Services,
    client: ServiceAccount,
    username: str | None,
    secret: str | None,
    requested: str | None,
    address: str,
) -> Grant:
    """A token for the user these credentials log in (invalid_grant for any login failure)."""
    _allowed(client, PASSWORD)
    if Permission.LOGIN not in client.permissions:
        raise GrantRefused("The client may not log users in.", "unauthorized_client")
    scopes = _scopes(authorisation.scopes_of(client.permissions) & USER_SCOPES, requested)
    if not username or secret is None:
        raise GrantRefused("username and password are required.", "invalid_request")
    try:
        user: User = log_in(env, as_caller(client, address), username, secret)
    except (LoginFailed, AccountLocked, RecoveryLocked) as error:
        raise GrantRefused(error.message, "invalid_grant") from None
    except TooManyRequests as error:
        raise GrantRefused(error.message, "slow_down") from None
    with env.uow(readonly=True) as uow:  # as stored now: the login may have rehashed it
        user = uow.users.by_id(user.id) or user
    return Grant(
        user.tenant,
        client.name,
        scopes,
        user.username,
        client_version(env, client),
        user.id,
        user_version(env, user),
    )


@dataclass(frozen=True)
class Standing:
    """What a verified token may do now: act in its tenant with the scopes still granted, as
    the account's rights (and, for a user token, as its user) allow."""

    tenant: Tenant
    scopes: frozenset[str]
    rights: frozenset[Permission] = frozenset()
    user: User | None = None


def current_subject(
    env: Services,
    tenant_domain: str,
    subject: str | int | None,
    client_id: str | None = None,
    scopes: frozenset[str] = frozenset(),
    version: str = "",
    user_stamp: str = "",
) -> Standing | None:
    """The token's standing if its tenant, its user (for a user token: our own tokens name it
    by id with ``user_stamp``, another issuer's by name) and the service account that obtained
    it (``client_id``, as it was then: ``version``; None for another issuer's token) still
    exist and may act.

    Read on every call, with no cache: a token outlives neither a deleted tenant, a locked or
    deleted user, a changed password or a lock since it was issued, a deleted or re-created
    account, a new account secret, nor the account's loss of the token's grant or tenant; the
    scopes it keeps are those that still spell a right the account holds.
    """
    with env.uow(readonly=True) as uow:
        tenant = uow.tenants.by_domain(tenant_domain)
        if tenant is None:
            return None
        held, rights = scopes, authorisation.rights_of(scopes)
        user = _user_of(env, uow, tenant, subject, user_stamp, client_id is not None)
        if subject is not None and user is None:
            return None
        if client_id is not None:
            client = uow.accounts.get(client_id)
            if client is None or not env.keyed.same(version, client_version(env, client)):
                return None
            if not _still_issues(env, client, tenant, subject):
                return None
            held = authorisation.token_rights(client.permissions, scopes)
            # A client token acts with the account's rights; a user token as its user, with
            # what the scopes it still holds allow (the user's own profile, at most).
            rights = client.permissions if user is None else authorisation.rights_of(held)
    return Standing(tenant, held, rights, user)


def _user_of(
    env: Services,
    uow: UnitOfWork,
    tenant: Tenant,
    subject: str | int | None,
    stamp: str,
    own: bool,
) -> User | None:
    """The active user a token names: ours by id and credential stamp, another issuer's by
    name."""
    if subject is None:
        return None
    if own:
        user = uow.users.by_id(int(subject)) if str(subject).isdigit() else None
        if user is None or user.tenant.id != tenant.id:
            return None
        if not env.keyed.same(stamp, user_version(env, user)):
            return None
    else:
        user = uow.users.get(tenant, str(subject))
    if user is None or user.locked or user.pending_confirmation:
        return None
    return user


def _still_issues(
    env: Services, client: ServiceAccount, tenant: Tenant, subject: str | int | None
) -> bool:
    """Whether the account could obtain this token today: the same grant, the same tenant."""
    if subject is None:
        return CLIENT_CREDENTIALS in client.grants and client.tenant.id == tenant.id
    return (
        PASSWORD in client.grants
        and Permission.LOGIN in client.permissions
        and caller_may_use(env, as_caller(client, ""), tenant)
    )


def change_client(
    uow: UnitOfWork,
    name: str,
    *,
    scopes: Iterable[str] | None = None,
    grants: Iterable[str] | None = None,
    permissions: Iterable[Permission] | None = None,
) -> ServiceAccount:
    """Give the account these rights as scopes (the rights OAuth spells) or as permissions (the
    rights SOAP spells), or these grants (None: keep them), keeping its secret. Tokens it holds
    lose a withdrawn right, or die with a withdrawn grant, at their next use."""
    account = uow.accounts.get(name)
    if account is None:
        raise BadRequest(f"No service account named {name}")
    rights = account.permissions
    if scopes is not None:
        spelled = authorisation.rights_of(authorisation.SCOPE_RIGHT)
        rights = (rights - spelled) | authorisation.rights_of(check_scopes(scopes))
    if permissions is not None:
        unspelled = authorisation.FULL_SET - authorisation.rights_of(authorisation.SCOPE_RIGHT)
        rights = (rights - unspelled) | frozenset(permissions)
    changed = replace(
        account,
        permissions=rights,
        grants=account.grants if grants is None else check_grants(grants),
    )
    uow.accounts.put(changed)
    return changed


def remove_client(uow: UnitOfWork, name: str) -> None:
    """Delete the account: its tokens die at their next use, its SOAP logins within the
    caller cache's few seconds (core/callers.py)."""
    if not uow.accounts.delete(name):
        raise BadRequest(f"No service account named {name}")
