"""A user's profile: reading it, changing its claims, account state and password in one step.

Shared by self-service (the token's own user) and user management (a service acting on a user
of its tenant). A change is checked completely before anything is written, and runs in one unit
of work with its audit event, so a refused change leaves the profile as it was.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from recovery_soap.core import email_change
from recovery_soap.core.claims import EMAIL, EXTERNAL_ID, is_challenge_set, settable_profile_claim
from recovery_soap.core.errors import (
    ClaimNotSettable,
    InvalidClaimValue,
    InvalidUser,
    PasswordRefused,
    UsernameTaken,
    VersionMismatch,
)
from recovery_soap.core.model import AuditEvent, DirectoryEntry, MessageKind, Purpose, Tenant, User
from recovery_soap.core.notices import notify_change, notify_email_change
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.registration import USERNAME
from recovery_soap.core.services import Services

#: Longest claim value the store keeps (user_claims.value).
MAX_CLAIM_LENGTH = 1024
#: An address with one @, a dotted domain and no spaces; deliverability is the mail's business.
EMAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


@dataclass(frozen=True)
class Actor:
    """Who changes a profile, for the audit trail: a service account or the user, and from where.
    ``own`` marks the user acting on their own profile (self-service), which has narrower rights."""

    name: str
    client_address: str = ""
    own: bool = False


@dataclass(frozen=True)
class Profile:
    """A user's profile: the account and its profile claims (never a challenge answer)."""

    id: int
    username: str
    tenant: Tenant
    claims: dict[str, str]
    active: bool
    created_at: datetime | None
    password_changed_at: datetime | None

    @property
    def version(self) -> str:
        """A version derived from the content: it changes whenever the profile does."""
        digest = hashlib.sha256()
        parts = [
            self.username,
            str(self.active),
            str(self.password_changed_at or ""),
            *(f"{uri}={value}" for uri, value in sorted(self.claims.items())),
        ]
        digest.update("\n".join(parts).encode("utf-8"))
        return digest.hexdigest()[:32]


@dataclass(frozen=True)
class ProfileChange:
    """What to change: claims to set (None removes one), and optionally the password, the
    username and whether the account is active."""

    claims: Mapping[str, str | None] = field(default_factory=dict)
    password: str | None = None
    username: str | None = None
    active: bool | None = None


def is_profile_claim(uri: str) -> bool:
    return settable_profile_claim(uri) and not is_challenge_set(uri)


def profile_of(entry: DirectoryEntry) -> Profile:
    user = entry.user
    return Profile(
        id=user.id,
        username=user.username,
        tenant=user.tenant,
        claims={uri: v for uri, v in entry.claims.items() if is_profile_claim(uri)},
        active=not (user.locked or user.pending_confirmation),
        created_at=entry.created_at,
        password_changed_at=user.password_changed_at,
    )


def load(uow: UnitOfWork, tenant: Tenant, user_id: int) -> DirectoryEntry:
    entry = uow.directory.entry(tenant, user_id)
    if entry is None:
        raise InvalidUser(f"User does not exist : {user_id}")
    return entry


def check_change(env: Services, change: ProfileChange) -> None:
    """Refuse a change before anything is written: claims, values, username and password."""
    for uri, value in change.claims.items():
        if not is_profile_claim(uri):
            raise ClaimNotSettable(f"The claim {uri} cannot be set", uri)
        if value is None:
            continue
        if len(value) > MAX_CLAIM_LENGTH:
            raise InvalidClaimValue(f"The value of {uri} is too long", uri)
        if uri == EMAIL and EMAIL_ADDRESS.fullmatch(value) is None:
            raise InvalidClaimValue("The e-mail address is not valid", uri)
    if change.username is not None and USERNAME.fullmatch(change.username) is None:
        raise InvalidClaimValue("The username is not valid", "username")
    if change.password is not None:
        problem = env.policy.passwords.problem(change.password)
        if problem:
            raise PasswordRefused(problem)


def check_own_change(current: Profile, change: ProfileChange) -> None:
    """What a user may not change on their own profile: the username, whether the account is
    active, and the externalId that ties the account to another system (RFC 7643 lets the
    provisioning client own it)."""
    if change.username is not None and change.username != current.username:
        raise ClaimNotSettable("userName cannot be changed through self-service", "userName")
    if change.active is not None and change.active != current.active:
        raise ClaimNotSettable("active cannot be changed through self-service", "active")
    if EXTERNAL_ID in change.claims and change.claims[EXTERNAL_ID] != current.claims.get(
        EXTERNAL_ID
    ):
        raise ClaimNotSettable("externalId cannot be changed through self-service", EXTERNAL_ID)


def ensure_unqualified(uow: UnitOfWork, username: str) -> None:
    """A username ending in ``@<tenant>`` of an existing tenant would be read as that tenant's
    user by every legacy name lookup, so no user gets one."""
    head, sep, tail = username.rpartition("@")
    if sep and head and uow.tenants.by_domain(tail) is not None:
        raise InvalidClaimValue("The username must not end in @ and a tenant domain", "username")


#: Turns the profile as it stands into the change to make (run with the user's row held).
Revision = Callable[["Profile"], ProfileChange]


def revise_profile(
    env: Services,
    actor: Actor,
    tenant: Tenant,
    user_id: int,
    revise: Revision,
    expected_version: str | None = None,
) -> Profile:
    """Read, change and write the profile in one transaction with the user's row held, so
    concurrent revisions apply one after the other and none is lost; ``expected_version`` (an
    If-Match) is checked against what the transaction reads."""
    with env.uow() as uow:
        uow.directory.hold(load(uow, tenant, user_id).user)
        entry = load(uow, tenant, user_id)
        current = profile_of(entry)
        if expected_version is not None and current.version != expected_version:
            raise VersionMismatch("The resource has changed since it was read")
        change = revise(current)
        check_change(env, change)
        if actor.own:
            check_own_change(current, change)
        pending = email_change.held_back(
            env, actor.own, current.claims.get(EMAIL), change.claims.get(EMAIL)
        )
        if pending is not None:
            kept = {uri: v for uri, v in change.claims.items() if uri != EMAIL}
            change = dataclasses.replace(change, claims=kept)
        # Hashed inside the transaction (unlike the recovery flows, which hash before it opens):
        # the new password is known only once the revision has read the held row.
        password_hash = env.slow.hash(change.password) if change.password is not None else None
        apply_change(env, uow, actor, entry, change, password_hash)
        if pending is not None:
            email_change.request(env, uow, entry.user, pending)
            record(env, uow, actor, "email_change_requested", entry.user)
        updated = profile_of(load(uow, tenant, user_id))
        old_address = current.claims.get(EMAIL, "")
        if actor.own and updated.claims.get(EMAIL, "") != old_address:
            notify_email_change(env, uow, entry.user, old_address)
        uow.commit()
    return updated


def confirm_email_change(
    env: Services, actor: Actor, tenant: Tenant, user_id: int, code: str | None
) -> Profile:
    """Make the address a self-service change set aside the user's, with the code mailed to it
    (see core.email_change); the old address is told."""
    with env.uow() as uow:
        entry = load(uow, tenant, user_id)
        uow.directory.hold(entry.user)
        if email_change.confirm(env, uow, entry.user, code):
            record(env, uow, actor, "profile_updated", entry.user, EMAIL)
        updated = profile_of(load(uow, tenant, user_id))
        uow.commit()
    return updated


def apply_change(
    env: Services,
    uow: UnitOfWork,
    actor: Actor,
    entry: DirectoryEntry,
    change: ProfileChange,
    password_hash: str | None,
) -> None:
    """Write a checked change inside the caller's unit of work, with its audit events."""
    user = entry.user
    current = {uri: v for uri, v in entry.claims.items() if is_profile_claim(uri)}
    to_set = {uri: v for uri, v in change.claims.items() if v is not None and current.get(uri) != v}
    to_remove = [uri for uri, v in change.claims.items() if v is None and uri in current]
    uow.users.set_claims(user, to_set)
    uow.directory.remove_claims(user, to_remove)
    details = sorted(to_set) + sorted(to_remove) + _apply_account(uow, user, change)
    if details:
        record(env, uow, actor, "profile_updated", user, ",".join(details)[:1024])
    if password_hash is not None:
        change_password(env, uow, actor, user, password_hash)


def _apply_account(uow: UnitOfWork, user: User, change: ProfileChange) -> list[str]:
    """Rename and (de)activate the account as the change asks; what changed, for the audit."""
    details: list[str] = []
    if change.username is not None and change.username != user.username:
        ensure_unqualified(uow, change.username)
        if uow.users.get(user.tenant, change.username) is not None:
            raise UsernameTaken(f"User {change.username} exists already")
        uow.directory.rename(user, change.username)
        details.append("username")
    if change.active is not None and change.active != (
        not (user.locked or user.pending_confirmation)
    ):
        uow.users.set_lock(user, locked=not change.active, pending=False)
        details.append("active")
    return details


def change_password(
    env: Services, uow: UnitOfWork, actor: Actor, user: User, password_hash: str
) -> None:
    """A password change as the recovery flows make it: open recovery codes are spent, failed
    attempts cleared, and the user is told by mail."""
    now = env.clock.now()
    uow.users.set_password(user, password_hash, now)
    uow.codes.spend_all(user.id, Purpose.RECOVERY, now)
    uow.guards.clear(user)
    record(env, uow, actor, "password_changed", user)
    notify_change(env, uow, user, MessageKind.PASSWORD_CHANGED)


def record(
    env: Services, uow: UnitOfWork, actor: Actor, event: str, user: User, detail: str | None = None
) -> None:
    """An audit event of a profile or directory change (never with a value or a secret)."""
    uow.audit.record(
        AuditEvent(
            at=env.clock.now(),
            event=event,
            outcome="success",
            tenant=user.tenant.domain,
            username=user.username,
            caller=actor.name,
            client_address=actor.client_address or None,
            detail=detail,
        )
    )
