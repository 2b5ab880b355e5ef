"""Users with their claims and challenge answers: the one mapping of a users row to the core's
User, the hot lookup by name (with the name's guard state), and the user's writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from recovery_soap.core.errors import StoreConflict
from recovery_soap.core.model import ChallengeAnswer, Presented, Tenant, User
from recovery_soap.store.base import (
    Repository,
    answers_t,
    claims_t,
    codes_t,
    guards_t,
    tenants_t,
    users_t,
)
from recovery_soap.store.guards import GUARD_COLUMNS, GuardRepository, guard_from_row, guard_key
from recovery_soap.store.tenants import TENANT_COLUMNS, tenant_from_row
from recovery_soap.store.write_behind import write_behind

#: The user's columns, under the names ``user_from_row`` reads.
USER_COLUMNS = (
    users_t.c.id,
    users_t.c.username,
    users_t.c.password_hash,
    users_t.c.locked,
    users_t.c.pending_confirmation,
    users_t.c.password_changed_at,
    users_t.c.credential_version,
)


def user_from_row(row: Any, tenant: Tenant) -> User:
    """A row selected with USER_COLUMNS as the core's User."""
    return User(
        id=row.id,
        tenant=tenant,
        username=row.username,
        password_hash=row.password_hash,
        locked=bool(row.locked),
        pending_confirmation=bool(row.pending_confirmation),
        password_changed_at=row.password_changed_at,
        credential_version=row.credential_version,
    )


# The hot lookups are built once (building a statement costs more than running it on SQLite).
#: A user by name, with the user's guard state (failed checks, lock) in the same round trip.
#: The name's guard state comes whether or not a user has the name (one row always): a known and
#: an unknown name cost the same single round trip.
_PROBE = select(
    cast(bindparam("tenant_id"), Integer).label("tenant_id"),
    cast(bindparam("name"), String(255)).label("name"),
).subquery("probe")
USER_BY_NAME = select(*USER_COLUMNS, *GUARD_COLUMNS).select_from(
    _PROBE.outerjoin(
        users_t,
        and_(users_t.c.tenant_id == _PROBE.c.tenant_id, users_t.c.username == _PROBE.c.name),
    ).outerjoin(
        guards_t,
        and_(guards_t.c.tenant_id == _PROBE.c.tenant_id, guards_t.c.name == _PROBE.c.name),
    )
)
_USER_BY_ID = (
    select(*USER_COLUMNS, *TENANT_COLUMNS)
    .join(tenants_t, tenants_t.c.id == users_t.c.tenant_id)
    .where(users_t.c.id == bindparam("user_id"))
)
_ADD_USER = (
    insert(users_t)
    .values(
        {
            name: bindparam(f"new_{name}")
            for name in (
                "tenant_id",
                "username",
                "password_hash",
                "locked",
                "pending_confirmation",
                "created_at",
            )
        }
    )
    .returning(users_t.c.id)
)
_CLAIMS_OF_USER = select(claims_t.c.claim_uri, claims_t.c.value).where(
    claims_t.c.user_id == bindparam("user_id")
)
_DROP_CLAIMS = delete(claims_t).where(
    claims_t.c.user_id == bindparam("user_id"),
    claims_t.c.claim_uri.in_(bindparam("uris", expanding=True)),
)
_ADD_CLAIM = insert(claims_t)
_SET_LOCK = write_behind(  # hook: sent with the COMMIT on PostgreSQL (store/write_behind.py)
    update(users_t)
    .where(users_t.c.id == bindparam("lock_user"))
    .values(
        locked=bindparam("lock_on"),
        pending_confirmation=bindparam("lock_pending"),
        credential_version=users_t.c.credential_version + bindparam("bump", type_=Integer),
    )
)


class UserRepository(Repository):
    def __init__(self, connection: Connection, guards: GuardRepository | None = None) -> None:
        super().__init__(connection)
        self._guards = guards

    def get(self, tenant: Tenant, username: str) -> User | None:
        row = self._c.execute(USER_BY_NAME, {"tenant_id": tenant.id, "name": username}).first()
        if row is None:
            return None
        if self._guards is not None:  # read with the user: the guard check needs no query
            self._guards.remember(Presented(tenant, username), guard_from_row(row))
        return None if row.id is None else user_from_row(row, tenant)

    def by_id(self, user_id: int) -> User | None:
        row = self._c.execute(_USER_BY_ID, {"user_id": user_id}).first()
        return None if row is None else user_from_row(row, tenant_from_row(row))

    def add(
        self,
        tenant: Tenant,
        username: str,
        password_hash: str,
        *,
        locked: bool,
        pending: bool,
        now: datetime,
    ) -> User:
        try:
            new_id = self._c.execute(
                _ADD_USER,
                {
                    "new_tenant_id": tenant.id,
                    "new_username": username,
                    "new_password_hash": password_hash,
                    "new_locked": locked,
                    "new_pending_confirmation": pending,
                    "new_created_at": now,
                },
            ).scalar_one()
        except IntegrityError:
            raise StoreConflict(username) from None
        return User(
            id=new_id,
            tenant=tenant,
            username=username,
            password_hash=password_hash,
            locked=locked,
            pending_confirmation=pending,
        )

    def set_password(self, user: User, password_hash: str, now: datetime) -> None:
        self._c.execute(
            update(users_t)
            .where(users_t.c.id == user.id)
            .values(
                password_hash=password_hash,
                password_changed_at=now,
                credential_version=users_t.c.credential_version + 1,
            )
        )

    def rehash_password(self, user: User, password_hash: str) -> None:
        """Store a new hash of the same password (not a change: password_changed_at stays)."""
        self._c.execute(
            update(users_t).where(users_t.c.id == user.id).values(password_hash=password_hash)
        )

    def delete(self, user: User) -> None:
        """Remove the user; claims, answers, codes and guards go with it (ON DELETE CASCADE)."""
        for table in (claims_t, answers_t, codes_t):
            self._c.execute(delete(table).where(table.c.user_id == user.id))
        self._c.execute(delete(guards_t).where(*guard_key(user)))
        self._c.execute(delete(users_t).where(users_t.c.id == user.id))

    def set_lock(self, user: User, *, locked: bool, pending: bool) -> None:
        """A lock raises the credential version: the user's tokens end, unlocked or not."""
        self._c.execute(
            _SET_LOCK,
            {"lock_user": user.id, "lock_on": locked, "lock_pending": pending, "bump": int(locked)},
        )

    def claims(self, user: User) -> dict[str, str]:
        rows = self._c.execute(_CLAIMS_OF_USER, {"user_id": user.id})
        return {uri: value for uri, value in rows}

    def set_claims(self, user: User, claims: Mapping[str, str]) -> None:
        if not claims:
            return
        self._c.execute(_DROP_CLAIMS, {"user_id": user.id, "uris": list(claims)})
        self._c.execute(
            _ADD_CLAIM,
            [
                {"user_id": user.id, "tenant_id": user.tenant.id, "claim_uri": uri, "value": value}
                for uri, value in claims.items()
            ],
        )

    def find_by_claims(
        self, tenant: Tenant, claims: Sequence[tuple[str, str]], limit: int = 2
    ) -> set[int]:
        """Users of the tenant holding every one of these claim values (at most ``limit``)."""
        wanted = or_(
            *(and_(claims_t.c.claim_uri == uri, claims_t.c.value == value) for uri, value in claims)
        )
        rows = self._c.execute(
            select(claims_t.c.user_id)
            .where(claims_t.c.tenant_id == tenant.id, wanted)
            .group_by(claims_t.c.user_id)
            .having(func.count() == len(set(claims)))  # one row per (user, claim) at most
            .limit(limit)
        )
        return {r.user_id for r in rows}

    def answers(self, user: User) -> list[ChallengeAnswer]:
        rows = self._c.execute(
            select(answers_t.c.set_id, answers_t.c.question, answers_t.c.answer_hash).where(
                answers_t.c.user_id == user.id
            )
        )
        return [ChallengeAnswer(r.set_id, r.question, r.answer_hash) for r in rows]

    def set_answers(self, user: User, answers: Sequence[ChallengeAnswer]) -> None:
        if not answers:
            return
        self._c.execute(
            delete(answers_t).where(
                answers_t.c.user_id == user.id,
                answers_t.c.set_id.in_([a.set_id for a in answers]),
            )
        )
        self._c.execute(
            insert(answers_t),
            [
                {
                    "user_id": user.id,
                    "set_id": a.set_id,
                    "question": a.question,
                    "answer_hash": a.answer_hash,
                }
                for a in answers
            ],
        )

    def set_answer_hash(self, user: User, set_id: str, answer_hash: str) -> None:
        self._c.execute(
            update(answers_t)
            .where(answers_t.c.user_id == user.id, answers_t.c.set_id == set_id)
            .values(answer_hash=answer_hash)
        )
