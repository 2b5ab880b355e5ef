"""Every query of the service: the core's ports as SQLAlchemy Core statements on a Connection."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from recovery_soap.core.errors import StoreConflict
from recovery_soap.core.model import (
    AuditEvent,
    CaptchaRecord,
    ChallengeAnswer,
    CodeRecord,
    GuardState,
    NewCode,
    OutgoingMessage,
    Permission,
    Presented,
    Purpose,
    Question,
    ServiceAccount,
    Step,
    Tenant,
    User,
)
from recovery_soap.store.models import (
    AnswerRow,
    AuditRow,
    CaptchaRow,
    ClaimRow,
    CodeRow,
    GuardRow,
    OutboxRow,
    QuestionRow,
    ServiceAccountRow,
    TenantRow,
    UserRow,
)
from recovery_soap.store.sealing import Sealer, message_context

tenants_t = TenantRow.__table__
users_t = UserRow.__table__
claims_t = ClaimRow.__table__
answers_t = AnswerRow.__table__
questions_t = QuestionRow.__table__
codes_t = CodeRow.__table__
captchas_t = CaptchaRow.__table__
outbox_t = OutboxRow.__table__
accounts_t = ServiceAccountRow.__table__
guards_t = GuardRow.__table__
audit_t = AuditRow.__table__

PROOF_SEPARATOR = "\n"


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Repository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection


_TENANT_COLUMNS = (
    tenants_t.c.id,
    tenants_t.c.domain,
    tenants_t.c.notify_changes,
    tenants_t.c.self_signup,
)


def _tenant(row: Any) -> Tenant:
    return Tenant(
        id=row.id,
        domain=row.domain,
        notify_changes=bool(row.notify_changes),
        self_signup=bool(row.self_signup),
    )


class TenantRepository(Repository):
    def by_domain(self, domain: str) -> Tenant | None:
        row = self._c.execute(select(*_TENANT_COLUMNS).where(tenants_t.c.domain == domain)).first()
        return _tenant(row) if row else None

    def set_notify_changes(self, tenant: Tenant, enabled: bool) -> None:
        self._c.execute(
            update(tenants_t).where(tenants_t.c.id == tenant.id).values(notify_changes=enabled)
        )

    def set_self_signup(self, tenant: Tenant, enabled: bool) -> None:
        self._c.execute(
            update(tenants_t).where(tenants_t.c.id == tenant.id).values(self_signup=enabled)
        )

    def add(self, domain: str) -> Tenant:
        new_id = self._c.execute(
            insert(tenants_t).values(domain=domain, created_at=_utcnow()).returning(tenants_t.c.id)
        ).scalar_one()
        return Tenant(id=new_id, domain=domain)

    def all(self) -> list[Tenant]:
        rows = self._c.execute(select(*_TENANT_COLUMNS).order_by(tenants_t.c.id))
        return [_tenant(r) for r in rows]

    def delete(self, tenant: Tenant) -> None:
        self._c.execute(delete(tenants_t).where(tenants_t.c.id == tenant.id))


_USER_COLUMNS = (
    users_t.c.id,
    users_t.c.username,
    users_t.c.password_hash,
    users_t.c.locked,
    users_t.c.pending_confirmation,
    users_t.c.password_changed_at,
    users_t.c.credential_version,
)


# The hot lookups are built once (building a statement costs more than running it on SQLite).
#: A user by name, with the user's guard state (failed checks, lock) in the same round trip.
#: The name's guard state comes whether or not a user has the name (one row always): a known and
#: an unknown name cost the same single round trip.
_PROBE = select(
    cast(bindparam("tenant_id"), Integer).label("tenant_id"),
    cast(bindparam("name"), String(255)).label("name"),
).subquery("probe")
_USER_BY_NAME = select(
    *_USER_COLUMNS,
    guards_t.c.failures,
    guards_t.c.locked_until,
    guards_t.c.window_started_at,
).select_from(
    _PROBE.outerjoin(
        users_t,
        and_(users_t.c.tenant_id == _PROBE.c.tenant_id, users_t.c.username == _PROBE.c.name),
    ).outerjoin(
        guards_t,
        and_(guards_t.c.tenant_id == _PROBE.c.tenant_id, guards_t.c.name == _PROBE.c.name),
    )
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


def user_from_row(row: Any, tenant: Tenant) -> User:
    """A users row (with the columns of the users table) as the core's User."""
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


class UserRepository(Repository):
    def __init__(self, connection: Connection, guards: GuardRepository | None = None) -> None:
        super().__init__(connection)
        self._guards = guards

    def get(self, tenant: Tenant, username: str) -> User | None:
        row = self._c.execute(_USER_BY_NAME, {"tenant_id": tenant.id, "name": username}).first()
        if row is None:
            return None
        if self._guards is not None:  # read with the user: the guard check needs no query
            self._guards.remember(Presented(tenant, username), _guard_state(row))
        return None if row.id is None else user_from_row(row, tenant)

    def by_id(self, user_id: int) -> User | None:
        row = self._c.execute(
            select(
                *_USER_COLUMNS,
                tenants_t.c.id.label("tid"),
                tenants_t.c.domain,
                tenants_t.c.notify_changes,
            )
            .join(tenants_t, tenants_t.c.id == users_t.c.tenant_id)
            .where(users_t.c.id == user_id)
        ).first()
        if row is None:
            return None
        return user_from_row(
            row, Tenant(id=row.tid, domain=row.domain, notify_changes=bool(row.notify_changes))
        )

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
        self._c.execute(delete(guards_t).where(*_guard_key(user)))
        self._c.execute(delete(users_t).where(users_t.c.id == user.id))

    def set_lock(self, user: User, *, locked: bool, pending: bool) -> None:
        """A lock raises the credential version: the user's tokens end, unlocked or not."""
        version = users_t.c.credential_version + (1 if locked else 0)
        self._c.execute(
            update(users_t)
            .where(users_t.c.id == user.id)
            .values(locked=locked, pending_confirmation=pending, credential_version=version)
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


def _code(row: Any) -> CodeRecord:
    return CodeRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        user_id=row.user_id,
        step=Step(row.step),
        expires_at=row.expires_at,
        used_at=row.used_at,
        proof=frozenset(p for p in row.proof.split(PROOF_SEPARATOR) if p),
        subject=row.subject,
        message_id=row.message_id,
    )


_CODE_VALUES = (
    "tenant_id",
    "user_id",
    "purpose",
    "step",
    "code_hash",
    "proof",
    "subject",
    "created_at",
    "expires_at",
)
# Parameter names differ from the column names: an UPDATE given a parameter named like a column
# would also SET that column (here, in the CTE below, every column of the spent codes).
_ADD_CODE = insert(codes_t).values({name: bindparam(f"new_{name}") for name in _CODE_VALUES})
_SPEND_LIVE = (
    update(codes_t)
    .where(
        codes_t.c.user_id == bindparam("spend_user"),
        codes_t.c.purpose == bindparam("spend_purpose"),
        codes_t.c.used_at.is_(None),
    )
    .values(used_at=bindparam("spend_at"))
)
#: PostgreSQL: spend the live codes and add the new one in one statement (a data-modifying CTE
#: sees the snapshot from before the insert, so the new code is never spent with the others).
_REPLACE_CODE = _ADD_CODE.add_cte(_SPEND_LIVE.cte("spent"))
_CODE_BY_HASH = select(codes_t).where(codes_t.c.code_hash == bindparam("code_hash"))


def _code_values(code: NewCode) -> dict[str, Any]:
    return {
        "new_tenant_id": code.tenant_id,
        "new_user_id": code.user_id,
        "new_purpose": code.step.purpose.value,
        "new_step": code.step.value,
        "new_code_hash": code.code_hash,
        "new_proof": PROOF_SEPARATOR.join(sorted(code.proof)),
        "new_subject": code.subject,
        "new_created_at": code.created_at,
        "new_expires_at": code.expires_at,
    }


class CodeRepository(Repository):
    def add(self, code: NewCode) -> None:
        self._c.execute(_ADD_CODE, _code_values(code))

    def replace(self, code: NewCode) -> None:
        """Spend the user's unused codes of the code's purpose and store this one."""
        spend = {
            "spend_user": code.user_id,
            "spend_purpose": code.step.purpose.value,
            "spend_at": code.created_at,
        }
        if self._c.dialect.name == "postgresql":
            self._c.execute(_REPLACE_CODE, {**_code_values(code), **spend})
            return
        self._c.execute(_SPEND_LIVE, spend)
        self._c.execute(_ADD_CODE, _code_values(code))

    def find(self, code_hash: str) -> tuple[CodeRecord, str] | None:
        row = self._c.execute(_CODE_BY_HASH, {"code_hash": code_hash}).first()
        return (_code(row), row.code_hash) if row is not None else None

    def live(self, user_id: int, purpose: Purpose, now: datetime) -> CodeRecord | None:
        row = self._c.execute(
            select(codes_t)
            .where(
                codes_t.c.user_id == user_id,
                codes_t.c.purpose == purpose.value,
                codes_t.c.used_at.is_(None),
                codes_t.c.expires_at > now,
            )
            .order_by(codes_t.c.id.desc())
            .limit(1)
        ).first()
        return _code(row) if row is not None else None

    def link_message(self, code_hash: str, message_id: int) -> None:
        self._c.execute(
            update(codes_t).where(codes_t.c.code_hash == code_hash).values(message_id=message_id)
        )

    def consume(self, record_id: int, now: datetime) -> bool:
        result = self._c.execute(
            update(codes_t)
            .where(codes_t.c.id == record_id, codes_t.c.used_at.is_(None))
            .values(used_at=now)
        )
        return result.rowcount == 1

    def spend_all(self, user_id: int, purpose: Purpose, now: datetime) -> None:
        self._c.execute(
            _SPEND_LIVE, {"spend_user": user_id, "spend_purpose": purpose.value, "spend_at": now}
        )

    def spend_step(self, user_id: int, step: Step, now: datetime) -> None:
        self._c.execute(
            update(codes_t)
            .where(
                codes_t.c.user_id == user_id,
                codes_t.c.purpose == step.purpose.value,
                codes_t.c.step == step.value,
                codes_t.c.used_at.is_(None),
            )
            .values(used_at=now)
        )


class CaptchaRepository(Repository):
    def add(
        self,
        key_hash: str,
        image_id: str,
        answer_hash: str,
        image: bytes,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        self._c.execute(
            insert(captchas_t).values(
                key_hash=key_hash,
                image_id=image_id,
                answer_hash=answer_hash,
                image=image,
                created_at=now,
                expires_at=expires_at,
            )
        )

    def take(self, key_hash: str, now: datetime) -> CaptchaRecord | None:
        row = self._c.execute(
            delete(captchas_t)
            .where(captchas_t.c.key_hash == key_hash)
            .returning(captchas_t.c.answer_hash, captchas_t.c.expires_at)
        ).first()
        return (
            CaptchaRecord(answer_hash=row.answer_hash, expires_at=row.expires_at) if row else None
        )

    def image(self, image_id: str, now: datetime) -> bytes | None:
        return self._c.execute(
            select(captchas_t.c.image).where(
                captchas_t.c.image_id == image_id, captchas_t.c.expires_at > now
            )
        ).scalar_one_or_none()

    def purge(self, now: datetime) -> None:
        self._c.execute(delete(captchas_t).where(captchas_t.c.expires_at <= now))


_QUESTIONS_OF_TENANT = (
    select(questions_t.c.set_id, questions_t.c.question, questions_t.c.position)
    .where(questions_t.c.tenant_id == bindparam("tenant_id"))
    .order_by(questions_t.c.set_id, questions_t.c.position, questions_t.c.id)
)


class QuestionRepository(Repository):
    def for_tenant(self, tenant: Tenant) -> list[Question]:
        rows = self._c.execute(_QUESTIONS_OF_TENANT, {"tenant_id": tenant.id})
        return [Question(set_id=s, question=q, order=p) for s, q, p in rows]

    def add(self, tenant: Tenant, question: Question) -> None:
        self._c.execute(
            insert(questions_t).values(
                tenant_id=tenant.id,
                set_id=question.set_id,
                question=question.question,
                position=question.order,
            )
        )


#: What a message is made of; a requeued copy takes exactly these from the original.
_MESSAGE_COLUMNS = ("tenant_id", "kind", "recipient", "subject", "body", "html_body", "sender")


def _fresh(now: datetime) -> dict[str, Any]:
    """The delivery state of a message just queued."""
    return {"status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}


class OutboxRepository(Repository):
    """Queues messages with their texts sealed (the body holds the user's code)."""

    def __init__(self, connection: Connection, sealer: Sealer) -> None:
        super().__init__(connection)
        self._sealer = sealer

    def enqueue(self, message: OutgoingMessage, now: datetime) -> int:
        context = message_context(message.kind.value, message.recipient)
        content = {
            "tenant_id": message.tenant_id,
            "kind": message.kind.value,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": self._sealer.seal(message.body, context),
            "html_body": None if message.html is None else self._sealer.seal(message.html, context),
            "sender": message.sender,
        }
        inserted = insert(outbox_t).values(**content, **_fresh(now)).returning(outbox_t.c.id)
        return int(self._c.execute(inserted).scalar_one())

    def requeue(self, message_id: int, now: datetime) -> bool:
        """Queue a copy of a message that still holds its (sealed) text; False once it was
        sent or given up and its text erased."""
        columns = [outbox_t.c[name] for name in _MESSAGE_COLUMNS]
        row = self._c.execute(
            select(*columns).where(outbox_t.c.id == message_id, outbox_t.c.body != "")
        ).first()
        if row is None:
            return False
        self._c.execute(insert(outbox_t).values(**row._asdict(), **_fresh(now)))
        return True


class AccountRepository(Repository):
    def count(self) -> int:
        return int(self._c.execute(select(func.count()).select_from(accounts_t)).scalar_one())

    def get(self, name: str) -> ServiceAccount | None:
        row = self._c.execute(
            select(
                accounts_t,
                tenants_t.c.domain,
                tenants_t.c.notify_changes,
                tenants_t.c.self_signup,
            )
            .join(tenants_t, tenants_t.c.id == accounts_t.c.tenant_id)
            .where(accounts_t.c.name == name)
        ).first()
        if row is None:
            return None
        return ServiceAccount(
            name=row.name,
            tenant=Tenant(
                id=row.tenant_id,
                domain=row.domain,
                notify_changes=bool(row.notify_changes),
                self_signup=bool(row.self_signup),
            ),
            secret_hash=row.secret_hash,
            permissions=frozenset(Permission(p) for p in row.permissions.split(",") if p),
            all_tenants=bool(row.all_tenants),
            grants=frozenset(g for g in row.grants.split(" ") if g),
        )

    def put(self, account: ServiceAccount) -> None:
        """Insert or update in one statement: workers starting together may both put it."""
        values = {
            "tenant_id": account.tenant.id,
            "secret_hash": account.secret_hash,
            "permissions": ",".join(sorted(p.value for p in account.permissions)),
            "all_tenants": account.all_tenants,
            "grants": " ".join(sorted(account.grants)),
        }
        upsert = dialect_insert(self._c)(accounts_t).values(
            name=account.name, created_at=_utcnow(), **values
        )
        self._c.execute(
            upsert.on_conflict_do_update(index_elements=[accounts_t.c.name], set_=values)
        )

    def delete(self, name: str) -> bool:
        """Remove the account; False when there is none of that name."""
        return bool(self._c.execute(delete(accounts_t).where(accounts_t.c.name == name)).rowcount)

    def all(self) -> list[ServiceAccount]:
        names = self._c.execute(select(accounts_t.c.name).order_by(accounts_t.c.name)).scalars()
        return [account for account in map(self.get, list(names)) if account is not None]


def _guard_state(row: Any) -> GuardState | None:
    if row.window_started_at is None:  # no guard row (outer join)
        return None
    return GuardState(
        failures=row.failures,
        locked_until=row.locked_until,
        window_started_at=row.window_started_at,
    )


def _guard_key(subject: User | Presented) -> tuple[Any, Any]:
    return (guards_t.c.tenant_id == subject.tenant.id, guards_t.c.name == subject.username)


class GuardRepository(Repository):
    """Failed secret checks per name presented in a tenant, counted in a window; upserted
    atomically."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._known: dict[tuple[int, str], GuardState | None] = {}

    def remember(self, subject: User | Presented, state: GuardState | None) -> None:
        """The state read with the user in this transaction (until this repository writes it)."""
        self._known[(subject.tenant.id, subject.username)] = state

    def _forget(self, subject: User | Presented) -> None:
        self._known.pop((subject.tenant.id, subject.username), None)

    def state(self, subject: User | Presented) -> GuardState | None:
        key = (subject.tenant.id, subject.username)
        if key in self._known:
            return self._known[key]
        row = self._c.execute(
            select(
                guards_t.c.failures, guards_t.c.locked_until, guards_t.c.window_started_at
            ).where(*_guard_key(subject))
        ).first()
        if row is None:
            return None
        return GuardState(
            failures=row.failures,
            locked_until=row.locked_until,
            window_started_at=row.window_started_at,
        )

    def record_failure(
        self, subject: User | Presented, now: datetime, window: timedelta
    ) -> GuardState:
        self._forget(subject)
        upsert = dialect_insert(self._c)(guards_t).values(
            tenant_id=subject.tenant.id, name=subject.username, failures=1, window_started_at=now
        )
        stale = guards_t.c.window_started_at < now - window
        self._c.execute(
            upsert.on_conflict_do_update(
                index_elements=[guards_t.c.tenant_id, guards_t.c.name],
                set_={
                    "failures": case((stale, 1), else_=guards_t.c.failures + 1),
                    "window_started_at": case((stale, now), else_=guards_t.c.window_started_at),
                },
            )
        )
        state = self.state(subject)
        assert state is not None
        return state

    def lock(self, subject: User | Presented, until: datetime) -> None:
        self._forget(subject)
        self._c.execute(
            update(guards_t).where(*_guard_key(subject)).values(locked_until=until, failures=0)
        )

    def clear(self, subject: User | Presented) -> None:
        self._forget(subject)
        self._c.execute(delete(guards_t).where(*_guard_key(subject)))


_AUDIT_FIELDS = tuple(f.name for f in dataclasses.fields(AuditEvent))
_ADD_AUDIT = insert(audit_t).values({name: bindparam(name) for name in _AUDIT_FIELDS})


_AUDIT_LENGTHS = {name: getattr(audit_t.c[name].type, "length", None) for name in _AUDIT_FIELDS}


class AuditRepository(Repository):
    def record(self, event: AuditEvent) -> None:
        """Texts longer than their column (a user name as long as the request allows) are cut:
        PostgreSQL would refuse the record, and with it the request."""
        values = {name: getattr(event, name) for name in _AUDIT_FIELDS}
        for name, length in _AUDIT_LENGTHS.items():
            if length and isinstance(values[name], str):
                values[name] = values[name][:length]
        self._c.execute(_ADD_AUDIT, values)


def dialect_insert(connection: Connection) -> Any:
    """INSERT with ON CONFLICT support for the connection's dialect."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def audit_listing(
    connection: Connection,
    *,
    tenant: str | None = None,
    username: str | None = None,
    event: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """Audit events, newest first, filtered (for `recovery-soap audit list`)."""
    query = select(audit_t).order_by(audit_t.c.id.desc()).limit(limit)
    for column, value in (
        (audit_t.c.tenant, tenant),
        (audit_t.c.username, username),
        (audit_t.c.event, event),
    ):
        if value:
            query = query.where(column == value)
    if since is not None:
        query = query.where(audit_t.c.at >= since)
    fields = [f.name for f in dataclasses.fields(AuditEvent)]
    return [
        AuditEvent(**{name: getattr(r, name) for name in fields}) for r in connection.execute(query)
    ]
