"""The importer's queries: a batch of users read in three queries and written in multi-row
INSERTs, so that a million users cost thousands of round trips, not millions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    delete,
    func,
    insert,
    select,
    text,
    update,
)

from recovery_soap.core.legacy_records import NewImportedUser, StoredUser
from recovery_soap.core.model import Tenant
from recovery_soap.core.passwords import BARE_SCHEME, LDAP_SCHEME
from recovery_soap.store.base import answers_t, claims_t, codes_t, dialect_insert, users_t
from recovery_soap.store.bulk import among, chunks, claims_and_answers
from recovery_soap.store.users import USER_COLUMNS, user_from_row


class ImportRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def stored(self, tenant: Tenant, usernames: Sequence[str]) -> dict[str, StoredUser]:
        """The users of ``tenant`` among ``usernames``, with claims, answers and creation time."""
        if not usernames:
            return {}
        rows: list[Any] = []
        for names in chunks(sorted(set(usernames))):
            rows += self._c.execute(
                select(*USER_COLUMNS, users_t.c.created_at).where(
                    users_t.c.tenant_id == tenant.id, among(self._c, users_t.c.username, names)
                )
            ).all()
        claims, answers = claims_and_answers(self._c, [r.id for r in rows])
        return {
            r.username: StoredUser(
                user=user_from_row(r, tenant),
                created_at=r.created_at,
                claims=claims[r.id],
                answers=answers[r.id],
            )
            for r in rows
        }

    def create(self, tenant: Tenant, users: Sequence[NewImportedUser], now: datetime) -> set[str]:
        """Insert the users with their claims and answers, seen by the import at ``now``;
        returns the names inserted (a name taken meanwhile, by a sign-up, is left out)."""
        if not users:
            return set()
        statement = (
            dialect_insert(self._c)(users_t)
            .on_conflict_do_nothing(index_elements=["tenant_id", "username"])
            .returning(users_t.c.id, users_t.c.username)
        )
        rows = self._c.execute(
            statement,
            [
                {
                    "tenant_id": tenant.id,
                    "username": u.username,
                    "password_hash": u.password_hash,
                    "locked": u.locked,
                    "pending_confirmation": u.pending,
                    "created_at": u.created_at or now,
                    "password_changed_at": u.password_changed_at,
                    "import_seen_at": now,
                }
                for u in users
            ],
        ).all()
        ids = {r.username: r.id for r in rows}
        self._bulk(
            claims_t,
            ("user_id", "tenant_id", "claim_uri", "value"),
            (
                (ids[u.username], tenant.id, uri, value)
                for u in users
                if u.username in ids
                for uri, value in u.claims.items()
            ),
        )
        self._bulk(
            answers_t,
            ("user_id", "set_id", "question", "answer_hash"),
            (
                (ids[u.username], a.set_id, a.question, a.answer_hash)
                for u in users
                if u.username in ids
                for a in u.answers
            ),
        )
        return set(ids)

    def _bulk(self, table: Any, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        """Insert many rows: COPY on PostgreSQL (no per-row statements), executemany elsewhere."""
        if self._c.dialect.name != "postgresql":
            values = [dict(zip(columns, row, strict=True)) for row in rows]
            if values:
                self._c.execute(insert(table), values)
            return
        driver = self._c.connection.driver_connection
        assert driver is not None
        names = ", ".join(columns)
        with (
            driver.cursor() as cursor,
            cursor.copy(
                f"COPY {table.name} ({names}) FROM STDIN"  # names are the schema's, not input
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def refresh_statistics(self) -> None:
        """ANALYZE the tables an import grows (PostgreSQL): with the statistics of the empty
        tables it began with, the planner looks names up through the wrong index, reading the
        whole tenant for every batch."""
        if self._c.dialect.name == "postgresql":
            for table in (users_t, claims_t, answers_t):
                self._c.execute(text(f"ANALYZE {table.name}"))  # a schema name, not input

    def mark_seen(self, tenant: Tenant, usernames: Sequence[str], at: datetime) -> None:
        """Record that the import's source still holds these users (one statement a batch)."""
        for names in chunks(sorted(set(usernames))):
            self._c.execute(
                update(users_t)
                .where(users_t.c.tenant_id == tenant.id, among(self._c, users_t.c.username, names))
                .values(import_seen_at=at)
            )

    def missing(self, tenant: Tenant, before: datetime, limit: int) -> tuple[int, list[str]]:
        """Imported users of the tenant an import has not read since ``before``: how many, and
        the first ``limit`` names (users created here, never imported, are not counted)."""
        gone = and_(
            users_t.c.tenant_id == tenant.id,
            users_t.c.import_seen_at.is_not(None),
            users_t.c.import_seen_at < before,
        )
        count = self._c.execute(select(func.count()).where(gone)).scalar_one()
        names = self._c.execute(
            select(users_t.c.username).where(gone).order_by(users_t.c.username).limit(limit)
        ).scalars()
        return int(count), list(names)

    def delete_missing(self, tenant: Tenant, before: datetime) -> int:
        """Remove those users with everything that hangs off them; how many went."""
        ids = select(users_t.c.id).where(
            users_t.c.tenant_id == tenant.id,
            users_t.c.import_seen_at.is_not(None),
            users_t.c.import_seen_at < before,
        )
        # Failure counts and locks are kept per name presented, user or not: they stay.
        for table in (claims_t, answers_t, codes_t):
            self._c.execute(delete(table).where(table.c.user_id.in_(ids)))
        return int(self._c.execute(delete(users_t).where(users_t.c.id.in_(ids))).rowcount)


def legacy_hash_counts(engine: Engine) -> tuple[int, int, int]:
    """(passwords, answers) still bare legacy digests, and passwords in an LDAP form."""
    with engine.connect() as connection:
        hashes = LegacyHashes(connection)
        passwords, answers = hashes.count()
        return passwords, answers, hashes.ldap()


class LegacyHashes:
    """The bare imported digests that ``recovery-soap rehash`` wraps, a page at a time."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def count(self) -> tuple[int, int]:
        """(passwords, answers) still stored as bare legacy digests."""
        like = BARE_SCHEME + "%"
        passwords = self._c.execute(
            select(func.count()).where(users_t.c.password_hash.like(like))
        ).scalar_one()
        answers = self._c.execute(
            select(func.count()).where(answers_t.c.answer_hash.like(like))
        ).scalar_one()
        return int(passwords), int(answers)

    def ldap(self) -> int:
        """Passwords still in an imported LDAP form (upgraded at their first login)."""
        return int(
            self._c.execute(
                select(func.count()).where(users_t.c.password_hash.like(LDAP_SCHEME + "%"))
            ).scalar_one()
        )

    def passwords(self, after: int, limit: int) -> list[tuple[int, str]]:
        """(user id, bare hash) with ids above ``after``, in id order."""
        return self._bare(users_t.c.id, users_t.c.password_hash, after, limit)

    def answers(self, after: int, limit: int) -> list[tuple[int, str]]:
        """(answer row id, bare hash) with ids above ``after``, in id order."""
        return self._bare(answers_t.c.id, answers_t.c.answer_hash, after, limit)

    def _bare(self, key: Any, digest: Any, after: int, limit: int) -> list[tuple[int, str]]:
        rows = self._c.execute(
            select(key, digest)
            .where(key > after, digest.like(BARE_SCHEME + "%"))
            .order_by(key)
            .limit(limit)
        )
        return [(row[0], row[1]) for row in rows]

    def replace_passwords(self, pairs: Sequence[tuple[int, str, str]]) -> None:
        """(id, old, new): each replaced only while it is still ``old`` (a login may have
        upgraded it meanwhile, which wins)."""
        for row_id, old, new in pairs:
            self._c.execute(
                update(users_t)
                .where(users_t.c.id == row_id, users_t.c.password_hash == old)
                .values(password_hash=new)
            )

    def replace_answers(self, pairs: Sequence[tuple[int, str, str]]) -> None:
        for row_id, old, new in pairs:
            self._c.execute(
                update(answers_t)
                .where(answers_t.c.id == row_id, answers_t.c.answer_hash == old)
                .values(answer_hash=new)
            )
