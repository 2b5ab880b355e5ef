"""The one authorisation model: what a service account may do, asked by every face of the core.

An account holds one set of rights (``Permission``). SOAP names the legacy ones as permission
groups, OAuth names the rest as scopes; both are spellings of the same set (``SCOPE_RIGHT``), so
a token carries only scopes that spell rights the account holds, and every use case asks
``require(caller, right)`` whatever face it was reached through. Nothing is granted implicitly:
a new account holds what it is given (the bootstrap and demo accounts are given ``FULL_SET``).
docs/authorisation.md has the table.
"""

from __future__ import annotations

from collections.abc import Iterable

from recovery_soap.core.errors import BadRequest, PermissionDenied
from recovery_soap.core.model import Caller, Permission
from recovery_soap.core.scopes import (
    INTERNAL_LOGIN,
    OPENID,
    SUBSCRIBE,
    USER_MGT_CREATE,
    USER_MGT_DELETE,
    USER_MGT_LIST,
    USER_MGT_UPDATE,
    USER_MGT_VIEW,
)

#: Every right: what the bootstrap and demo accounts hold.
FULL_SET = frozenset(Permission)

#: The OAuth spelling: each scope names one right (openid names the same right as
#: internal_login: a token that says who the user is).
SCOPE_RIGHT: dict[str, Permission] = {
    INTERNAL_LOGIN: Permission.LOGIN,
    OPENID: Permission.LOGIN,
    SUBSCRIBE: Permission.SUBSCRIBE,
    USER_MGT_LIST: Permission.USERS_LIST,
    USER_MGT_VIEW: Permission.USERS_VIEW,
    USER_MGT_CREATE: Permission.USERS_CREATE,
    USER_MGT_UPDATE: Permission.USERS_UPDATE,
    USER_MGT_DELETE: Permission.USERS_DELETE,
}

#: What a user may do to themselves, whatever the account that obtained the token may do:
#: read and change their own profile (SCIM /Me). Never another user, never the tenant's counts.
SELF_RIGHTS = frozenset({Permission.LOGIN})


def scopes_of(rights: Iterable[Permission]) -> frozenset[str]:
    """The scopes that spell these rights: what a token of the account may carry."""
    held = frozenset(rights)
    return frozenset(scope for scope, right in SCOPE_RIGHT.items() if right in held)


def rights_of(scopes: Iterable[str]) -> frozenset[Permission]:
    """The rights these scopes spell (unknown scopes spell nothing)."""
    return frozenset(SCOPE_RIGHT[s] for s in scopes if s in SCOPE_RIGHT)


def parse_rights(names: Iterable[str]) -> frozenset[Permission]:
    """Rights named in either spelling (``recover``, ``users_update`` or a scope); an unknown
    name is an error, never ignored."""
    chosen: set[Permission] = set()
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if name in SCOPE_RIGHT:
            chosen.add(SCOPE_RIGHT[name])
            continue
        try:
            chosen.add(Permission(name))
        except ValueError:
            raise BadRequest(f"Unknown right or scope: {name}") from None
    return frozenset(chosen)


def token_rights(account_rights: Iterable[Permission], scopes: Iterable[str]) -> frozenset[str]:
    """The scopes a token keeps now: those it was issued with that still spell a held right."""
    return frozenset(scopes) & scopes_of(account_rights)


def may(caller: Caller, right: Permission) -> bool:
    """Whether the caller holds the right (a user token: only what the user may do to
    themselves)."""
    if caller.user_id is not None and right not in SELF_RIGHTS:
        return False
    return right in caller.permissions


def require(caller: Caller, right: Permission | None) -> None:
    """Refuse a caller without the operation's right (None: any authenticated account)."""
    if right is not None and not may(caller, right):
        raise PermissionDenied(
            f"Service account '{caller.account}' is not authorized for this operation"
        )


def require_self_or(caller: Caller, user_id: int, right: Permission) -> None:
    """A user acting on themselves (a user token), or an account holding ``right``."""
    if caller.user_id is not None:
        if caller.user_id != user_id or not may(caller, Permission.LOGIN):
            raise PermissionDenied("A user token acts on its own user only")
        return
    require(caller, right)
