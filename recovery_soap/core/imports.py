"""Importing users in batches: idempotent (users match by tenant and username), slow hashes
computed in parallel outside any transaction, each batch written in one unit of work.

Passwords and answers that arrive as legacy digests are stored wrapped in argon2id
(:meth:`SlowHasher.wrap_legacy`) and become plain argon2id on their first successful check.
A re-run replaces a password or answer only while the stored one is still such a wrap: once the
service owns it (upgraded, changed or set here) the import leaves it alone. Claims are set, never
removed; the lock follows the source when the source states it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from recovery_soap.core import admin
from recovery_soap.core.env import Env
from recovery_soap.core.errors import BadRequest
from recovery_soap.core.guard import audit
from recovery_soap.core.legacy import (
    HashedSecret,
    ImportedAnswer,
    ImportRecord,
    LegacySecret,
    PlainSecret,
    Secret,
    Skipped,
)
from recovery_soap.core.model import ChallengeAnswer, Tenant, User
from recovery_soap.core.passwords import is_wrapped_legacy, legacy_salt, normalise_answer
from recovery_soap.core.ports import UnitOfWork

CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"
#: Stands for a hash a dry run does not compute.
NOT_COMPUTED = "(dry run)"
CHANGED_MEANWHILE = "changed by the service during the import; run the import again"
MAX_NAME, MAX_VALUE = 255, 1024


@dataclass
class ImportReport:
    """Counts of one run; ``read`` = created + updated + unchanged + skipped."""

    dry_run: bool = False
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    tenants_created: list[str] = field(default_factory=list)

    def skip(self, tenant: str, username: str, reason: str) -> None:
        self.skipped[reason] += 1
        if len(self.examples) < 20:
            self.examples.append(f"{username}@{tenant}: {reason}")

    def tally(self, plan: _Plan) -> None:
        if plan.outcome == CREATED:
            self.created += 1
        elif plan.outcome == UPDATED:
            self.updated += 1
        elif plan.outcome == UNCHANGED:
            self.unchanged += 1
        else:
            self.skip(plan.record.tenant, plan.record.username, plan.reason)

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": sum(self.skipped.values()),
            "skipped_reasons": dict(self.skipped),
            "skipped_examples": list(self.examples),
            "tenants_created": self.tenants_created,
        }


@dataclass(frozen=True)
class _Current:
    """What the store holds for a user when the batch is read."""

    user: User
    claims: dict[str, str]
    answers: dict[str, ChallengeAnswer]


@dataclass(frozen=True)
class _Plan:
    record: ImportRecord
    tenant: Tenant | None  # None: a tenant a dry run would create
    current: _Current | None
    outcome: str
    reason: str = ""
    password_hash: str | None = None  # None: keep the stored one
    locked: bool | None = None  # None: keep
    claims: dict[str, str] = field(default_factory=dict)
    answers: tuple[ChallengeAnswer, ...] = ()


def _problem(record: ImportRecord) -> str | None:
    if not record.username.strip() or len(record.username) > MAX_NAME:
        return "username empty or longer than 255 characters"
    if any(len(uri) > MAX_NAME or len(value) > MAX_VALUE for uri, value in record.claims.items()):
        return "claim URI over 255 or value over 1024 characters"
    if any(len(a.question) > MAX_VALUE for a in record.answers):
        return "challenge question over 1024 characters"
    return None


class Importer:
    """Imports batches of records into the store of ``env``; one instance per run."""

    def __init__(
        self,
        env: Env,
        *,
        dry_run: bool = False,
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self._env = env
        self._dry_run = dry_run
        self._workers = workers or os.cpu_count() or 1
        self._progress = progress or (lambda _read: None)
        self._tenants: dict[str, Tenant | None | str] = {}  # str: why the tenant is unusable
        self._seen: set[tuple[str, str]] = set()
        self.report = ImportReport(dry_run=dry_run)

    def run(
        self, batches: Iterable[Sequence[ImportRecord | Skipped]], source: str = ""
    ) -> ImportReport:
        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            for batch in batches:
                self._batch(batch, pool)
                self._progress(self.report.read)
        if not self._dry_run:
            self._audit(source)
        return self.report

    # --- one batch: resolve, read, plan (in parallel), write --------------------------------

    def _batch(self, items: Sequence[ImportRecord | Skipped], pool: ThreadPoolExecutor) -> None:
        wanted: list[tuple[ImportRecord, Tenant | None]] = []
        for item in items:
            self.report.read += 1
            reason = item.reason if isinstance(item, Skipped) else self._admit(item)
            if isinstance(item, Skipped) or reason:
                self.report.skip(item.tenant, item.username, reason or "")
                continue
            tenant = self._tenants[item.tenant.strip().lower()]
            wanted.append((item, tenant if isinstance(tenant, Tenant) else None))
        with self._env.uow() as uow:
            found = [(r, t, self._current(uow, t, r.username)) for r, t in wanted]
        plans = list(pool.map(lambda args: self._plan(*args), found))
        if not self._dry_run:
            plans = self._write(plans)
        for plan in plans:
            self.report.tally(plan)

    def _admit(self, record: ImportRecord) -> str | None:
        """Why the record cannot be imported (None: it can); creates its tenant if need be."""
        tenant = self._tenant(record.tenant)
        if isinstance(tenant, str):
            return tenant
        key = (record.tenant.strip().lower(), record.username)
        if key in self._seen:
            return "the same user appears twice in the source"
        self._seen.add(key)
        return _problem(record)

    def _tenant(self, domain: str) -> Tenant | None | str:
        domain = domain.strip().lower()
        if domain not in self._tenants:
            self._tenants[domain] = self._resolve(domain)
        return self._tenants[domain]

    def _resolve(self, domain: str) -> Tenant | None | str:
        with self._env.uow() as uow:
            found = uow.tenants.by_domain(domain)
            if found is not None:
                return found
            try:
                created = admin.add_tenant(uow, domain)
            except BadRequest as error:
                return f"invalid tenant: {error.message}"
            if not self._dry_run:
                uow.commit()
        self.report.tenants_created.append(domain)
        return None if self._dry_run else created

    @staticmethod
    def _current(uow: UnitOfWork, tenant: Tenant | None, username: str) -> _Current | None:
        user = uow.users.get(tenant, username) if tenant is not None else None
        if user is None:
            return None
        answers = {a.set_id: a for a in uow.users.answers(user)}
        return _Current(user=user, claims=uow.users.claims(user), answers=answers)

    # --- planning: every slow hash and check happens here, outside transactions --------------

    def _plan(self, record: ImportRecord, tenant: Tenant | None, current: _Current | None) -> _Plan:
        problem = self._secret_problem(record.password)
        if current is None:
            if problem:
                return _Plan(record, tenant, None, SKIPPED, reason=problem)
            answers = tuple(self._answer_hash(a) for a in record.answers)
            return _Plan(
                record,
                tenant,
                None,
                CREATED,
                password_hash=self._hash(record.password),
                claims=dict(record.claims),
                answers=answers,
            )
        password_hash = self._password_change(record, current.user)
        if password_hash is not None and problem:
            return _Plan(record, tenant, current, SKIPPED, reason=problem)
        answers = tuple(
            new
            for a in record.answers
            if (new := self._answer_change(a, current.answers.get(a.set_id))) is not None
        )
        claims = {uri: v for uri, v in record.claims.items() if current.claims.get(uri) != v}
        locked = record.locked if record.locked not in (None, current.user.locked) else None
        changed = password_hash is not None or answers or claims or locked is not None
        return _Plan(
            record,
            tenant,
            current,
            UPDATED if changed else UNCHANGED,
            password_hash=password_hash,
            locked=locked,
            claims=claims,
            answers=answers,
        )

    def _secret_problem(self, secret: Secret) -> str | None:
        if isinstance(secret, PlainSecret):
            problem = self._env.policy.passwords.problem(secret.text)
            return f"password refused by the policy: {problem}" if problem else None
        if isinstance(secret, HashedSecret) and not self._env.slow.recognises(secret.hashed):
            return "password hash in an unknown format"
        return None

    def _hash(self, secret: Secret) -> str:
        if self._dry_run:
            return NOT_COMPUTED
        if isinstance(secret, PlainSecret):
            return self._env.slow.hash(secret.text)
        if isinstance(secret, LegacySecret):
            return self._env.slow.wrap_legacy(secret.digest, secret.salt)
        return secret.hashed

    def _answer_hash(self, answer: ImportedAnswer) -> ChallengeAnswer:
        secret = answer.secret
        if isinstance(secret, PlainSecret):
            secret = PlainSecret(normalise_answer(secret.text))
        return ChallengeAnswer(answer.set_id, answer.question, self._hash(secret))

    def _password_change(self, record: ImportRecord, user: User) -> str | None:
        """The new password hash, or None to keep the stored one."""
        stored, secret = user.password_hash, record.password
        if not is_wrapped_legacy(stored):
            return None  # the service owns this password now
        if (
            isinstance(secret, LegacySecret)
            and legacy_salt(stored) == secret.salt
            and (
                (record.changed_at is not None and record.changed_at == user.password_changed_at)
                or self._env.slow.holds_legacy(stored, secret.digest, secret.salt)
            )
        ):
            return None
        return self._hash(secret)

    def _answer_change(
        self, answer: ImportedAnswer, stored: ChallengeAnswer | None
    ) -> ChallengeAnswer | None:
        """The new stored answer, or None to keep the stored one."""
        if stored is not None and not is_wrapped_legacy(stored.answer_hash):
            return None  # answered right since, or set here: the service owns it
        secret = answer.secret
        if (
            stored is not None
            and stored.question == answer.question
            and isinstance(secret, LegacySecret)
            and self._env.slow.holds_legacy(stored.answer_hash, secret.digest, secret.salt)
        ):
            return None
        return self._answer_hash(answer)

    # --- writing: one unit of work per batch ----------------------------------------------

    def _write(self, plans: list[_Plan]) -> list[_Plan]:
        written: list[_Plan] = []
        with self._env.uow() as uow:
            for plan in plans:
                if plan.outcome in (CREATED, UPDATED) and not self._still_current(uow, plan):
                    plan = _Plan(
                        plan.record, plan.tenant, plan.current, SKIPPED, reason=CHANGED_MEANWHILE
                    )
                elif plan.outcome in (CREATED, UPDATED):
                    self._apply(uow, plan)
                written.append(plan)
            uow.commit()
        return written

    @staticmethod
    def _still_current(uow: UnitOfWork, plan: _Plan) -> bool:
        """Whether the user is as the plan read it (no recovery or sign-up happened meanwhile)."""
        assert plan.tenant is not None
        user = uow.users.get(plan.tenant, plan.record.username)
        if user is None or plan.current is None:
            return user is None and plan.current is None
        return user.password_hash == plan.current.user.password_hash and set(
            uow.users.answers(user)
        ) == set(plan.current.answers.values())

    def _apply(self, uow: UnitOfWork, plan: _Plan) -> None:
        record, now = plan.record, self._env.clock.now()
        assert plan.tenant is not None
        if plan.current is None:
            assert plan.password_hash is not None
            user = uow.users.add(
                plan.tenant,
                record.username,
                plan.password_hash,
                locked=bool(record.locked),
                pending=False,
                now=now,
            )
        else:
            user = plan.current.user
            if plan.locked is not None:
                uow.users.set_lock(
                    user, locked=plan.locked, pending=user.pending_confirmation and plan.locked
                )
        if plan.password_hash is not None and (plan.current or record.changed_at):
            uow.users.set_password(user, plan.password_hash, _naive(record.changed_at) or now)
        uow.users.set_claims(user, plan.claims)
        uow.users.set_answers(user, plan.answers)

    def _audit(self, source: str) -> None:
        counts = self.report.as_dict()
        detail = (
            f"source={source} created={counts['created']} updated={counts['updated']} "
            f"unchanged={counts['unchanged']} skipped={counts['skipped']}"
        )
        with self._env.uow() as uow:
            audit(self._env, uow, None, "users_imported", "success", detail=detail[:1024])
            uow.commit()


def _naive(moment: datetime | None) -> datetime | None:
    """Naive UTC, as the store keeps times."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
