"""User management within one tenant: search and page, read, create, replace, delete.

Every function takes the caller, asks the core's one authorisation question for its right
(``users_list`` ... ``users_delete``; a user token only its own profile), and reaches users only
through the caller's tenant: an id of another tenant's user is unknown here, exactly like an id
that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from recovery_soap.core import profiles
from recovery_soap.core.authorisation import require, require_self_or
from recovery_soap.core.errors import (
    PermissionDenied,
    StoreConflict,
    UsernameTaken,
    VersionMismatch,
)
from recovery_soap.core.model import Caller, Permission, UserCondition
from recovery_soap.core.profiles import (
    Actor,
    Profile,
    ProfileChange,
    Revision,
    check_change,
    ensure_unqualified,
    load,
    profile_of,
    record,
    revise_profile,
)
from recovery_soap.core.services import Services

#: The most users one page holds, whatever count the caller asks for.
MAX_PAGE = 200


@dataclass(frozen=True)
class Page:
    """One page of a search: the total of matches, where the page starts (1-based), its users."""

    total: int
    start_index: int
    profiles: list[Profile]


def actor_of(caller: Caller) -> Actor:
    """The audit's actor; a user token acts on its own profile (self-service rules apply)."""
    return Actor(
        name=caller.account, client_address=caller.client_address, own=caller.user_id is not None
    )


def confirm_email_change(env: Services, caller: Caller, user_id: int, code: str | None) -> Profile:
    """A new e-mail address of the user's own, confirmed by the code mailed to it."""
    if caller.user_id is None or caller.user_id != user_id:
        raise PermissionDenied("Only the user may confirm their own e-mail address")
    return profiles.confirm_email_change(env, actor_of(caller), caller.tenant, user_id, code)


def read(env: Services, caller: Caller, user_id: int) -> Profile:
    """A user's profile: the caller's own (a user token), or any with ``users_view``."""
    require_self_or(caller, user_id, Permission.USERS_VIEW)
    with env.uow(readonly=True) as uow:
        return profile_of(load(uow, caller.tenant, user_id))


def search(
    env: Services,
    caller: Caller,
    conditions: Sequence[UserCondition],
    start_index: int = 1,
    count: int | None = None,
) -> Page:
    """Users of the tenant matching every condition, by id; start_index below 1 counts as 1."""
    require(caller, Permission.USERS_LIST)
    tenant = caller.tenant
    start = max(start_index, 1)
    size = MAX_PAGE if count is None else max(0, min(count, MAX_PAGE))
    with env.uow(readonly=True) as uow:
        total, entries = uow.directory.search(tenant, conditions, start - 1, size)
    return Page(total=total, start_index=start, profiles=[profile_of(e) for e in entries])


def create(
    env: Services,
    caller: Caller,
    username: str,
    password: str | None,
    claims: Mapping[str, str],
    *,
    active: bool = True,
) -> Profile:
    """An account created by a service, active unless asked otherwise.

    Without a password the account gets a random one nobody knows: the user sets their own
    through password recovery.
    """
    require(caller, Permission.USERS_CREATE)
    tenant, actor = caller.tenant, actor_of(caller)
    check_change(env, ProfileChange(claims=dict(claims), username=username, password=password))
    secret = password if password is not None else env.random.code() + env.random.code()
    # Hashed before the write lock is taken (admin.add_user hashes inside it, fine for the CLI).
    password_hash = env.slow.hash(secret)
    with env.uow() as uow:
        ensure_unqualified(uow, username)
        if uow.users.get(tenant, username) is not None:
            raise UsernameTaken(f"User {username} exists already")
        user = uow.users.add(
            tenant, username, password_hash, locked=not active, pending=False, now=env.clock.now()
        )
        uow.users.set_claims(user, dict(claims))
        record(env, uow, actor, "user_created", user)
        created = profile_of(load(uow, tenant, user.id))
        try:
            uow.commit()
        except StoreConflict:
            raise UsernameTaken(f"User {username} exists already") from None
    return created


def replace(
    env: Services,
    caller: Caller,
    user_id: int,
    revise: Revision,
    expected_version: str | None = None,
) -> Profile:
    """Replace what a caller's view of the profile covers: the change ``revise`` makes of the
    current profile names every claim of that view, None clearing one; claims outside the view
    stay as they are. The caller's own profile (a user token), or any with ``users_update``."""
    require_self_or(caller, user_id, Permission.USERS_UPDATE)
    return revise_profile(env, actor_of(caller), caller.tenant, user_id, revise, expected_version)


def delete(
    env: Services, caller: Caller, user_id: int, expected_version: str | None = None
) -> None:
    require(caller, Permission.USERS_DELETE)
    tenant, actor = caller.tenant, actor_of(caller)
    with env.uow() as uow:
        entry = load(uow, tenant, user_id)
        uow.directory.hold(entry.user)
        if expected_version is not None and profile_of(entry).version != expected_version:
            raise VersionMismatch("The resource has changed since it was read")
        uow.directory.delete(entry.user)
        record(env, uow, actor, "user_deleted", entry.user)
        uow.commit()
