"""The directory queries: users of a tenant searched, paged, read with their claims, renamed,
removed. Every value reaches SQL as a bound parameter; LIKE patterns escape their wildcards."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from recovery_soap.core.claims import EMAIL, EXTERNAL_ID
from recovery_soap.core.errors import StoreConflict
from recovery_soap.core.model import (
    DirectoryEntry,
    Match,
    Tenant,
    User,
    UserCondition,
    UserField,
)
from recovery_soap.store.base import claims_t, users_t
from recovery_soap.store.users import USER_COLUMNS, UserRepository, user_from_row

LIKE_ESCAPE = "\\"


def like_pattern(value: str, match: Match) -> str:
    """A LIKE pattern matching ``value`` literally: ``%`` and ``_`` in it are no wildcards."""
    literal = value.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", r"\%").replace("_", r"\_")
    return f"{literal}%" if match is Match.STARTS_WITH else f"%{literal}%"


def prefix_successor(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix``, in code point order
    (SQLite's BINARY collation); None when there is none (only U+10FFFF characters)."""
    while prefix:
        last = ord(prefix[-1]) + 1
        if last == 0xD800:  # surrogates cannot be stored: the next character is U+E000
            last = 0xE000
        if last <= 0x10FFFF:
            return prefix[:-1] + chr(last)
        prefix = prefix[:-1]
    return None


def _compare(column: Any, condition: UserCondition, ranged: bool) -> ColumnElement[bool]:
    """Case-insensitive on both backends: userName and emails are not caseExact in SCIM. The
    ``lower(column)`` is the indexed expression (store/models.py), so eq is an index lookup.
    For sw, PostgreSQL reads the LIKE prefix from the text_pattern_ops index itself; SQLite
    does not for an expression, so there (``ranged``) the prefix is also given as a range."""
    lowered, value = func.lower(column), condition.value.lower()
    if condition.match is Match.EQUALS:
        return lowered == value
    like = lowered.like(like_pattern(value, condition.match), escape=LIKE_ESCAPE)
    # co has no prefix to look up: it stays a pass over the tenant's rows (or index entries).
    if condition.match is not Match.STARTS_WITH or not ranged or not value:
        return like
    # The LIKE stays: the range only narrows the index read, the LIKE decides.
    upper = prefix_successor(value)
    bounds = [lowered >= value] + ([lowered < upper] if upper is not None else [])
    return and_(*bounds, like)


def _where(tenant: Tenant, condition: UserCondition, ranged: bool) -> ColumnElement[bool]:
    if condition.field is UserField.USERNAME:
        return _compare(users_t.c.username, condition, ranged)
    if condition.field is UserField.EXTERNAL_ID:
        # caseExact in SCIM, and equality only: answered from the claim lookup index.
        claim, match = EXTERNAL_ID, claims_t.c.value == condition.value
    else:
        claim, match = EMAIL, _compare(claims_t.c.value, condition, ranged)
    # The holders of that claim, from the index (tenant_id, claim_uri, lower(value)).
    holders = select(claims_t.c.user_id).where(
        claims_t.c.tenant_id == tenant.id, claims_t.c.claim_uri == claim, match
    )
    return users_t.c.id.in_(holders)


_COLUMNS = (*USER_COLUMNS, users_t.c.created_at)


class DirectoryRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def search(
        self, tenant: Tenant, conditions: Sequence[UserCondition], offset: int, limit: int
    ) -> tuple[int, list[DirectoryEntry]]:
        ranged = self._c.dialect.name == "sqlite"
        where = [
            users_t.c.tenant_id == tenant.id,
            *(_where(tenant, c, ranged) for c in conditions),
        ]
        total = self._c.execute(select(func.count()).select_from(users_t).where(*where))
        count = int(total.scalar_one())
        if limit <= 0 or offset >= count:
            return count, []
        # A filtered page is ordered by ``id + 0``, not ``id``: otherwise PostgreSQL may walk
        # the primary key and test every row against the filter until the page is full, which
        # reads the whole tenant when few rows match. Ordered by the expression, the matches
        # come from the search indexes (as the count above) and only they are sorted.
        order = users_t.c.id + 0 if conditions else users_t.c.id
        rows = self._c.execute(
            select(*_COLUMNS).where(*where).order_by(order).offset(offset).limit(limit)
        ).all()
        return count, self._entries(tenant, rows)

    def entry(self, tenant: Tenant, user_id: int) -> DirectoryEntry | None:
        rows = self._c.execute(
            select(*_COLUMNS).where(users_t.c.tenant_id == tenant.id, users_t.c.id == user_id)
        ).all()
        entries = self._entries(tenant, rows)
        return entries[0] if entries else None

    def _entries(self, tenant: Tenant, rows: Sequence[Any]) -> list[DirectoryEntry]:
        ids = [row.id for row in rows]
        claims: dict[int, dict[str, str]] = {user_id: {} for user_id in ids}
        if ids:
            for row in self._c.execute(
                select(claims_t.c.user_id, claims_t.c.claim_uri, claims_t.c.value).where(
                    claims_t.c.user_id.in_(ids)
                )
            ):
                claims[row.user_id][row.claim_uri] = row.value
        return [
            DirectoryEntry(
                user=user_from_row(row, tenant),
                claims=claims[row.id],
                created_at=row.created_at,
            )
            for row in rows
        ]

    def hold(self, user: User) -> None:
        # A no-op update takes the row lock on PostgreSQL (SQLite holds its write lock already).
        self._c.execute(update(users_t).where(users_t.c.id == user.id).values(id=users_t.c.id))

    def remove_claims(self, user: User, uris: Collection[str]) -> None:
        if uris:
            self._c.execute(
                delete(claims_t).where(
                    claims_t.c.user_id == user.id, claims_t.c.claim_uri.in_(list(uris))
                )
            )

    def rename(self, user: User, username: str) -> None:
        try:
            self._c.execute(
                update(users_t).where(users_t.c.id == user.id).values(username=username)
            )
        except IntegrityError:
            raise StoreConflict(username) from None

    def delete(self, user: User) -> None:
        """Remove the user and what hangs off it (explicitly, for SQLite without cascades)."""
        UserRepository(self._c).delete(user)
