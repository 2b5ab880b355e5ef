"""Importing users in batches: idempotent (users match by tenant and username), each batch read
in a few queries and written in multi-row inserts, in constant memory. Passwords and answers
that arrive as legacy digests are copied as they are, marked with their scheme
(:func:`bare_legacy`): no slow hash is computed during the import. They become plain argon2id on
their first successful check, and ``recovery-soap rehash`` wraps the rest in argon2id.
A re-run replaces a password or answer only while the stored one is still the imported digest:
once the service owns it (upgraded, changed or set here) the import leaves it alone. Telling an
unchanged user costs string comparisons (an argon2 check for an answer ``rehash`` wrapped: no
cheaper test exists that would not be a fast oracle). Claims are set, never removed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from recovery_soap.core import admin
from recovery_soap.core.errors import BadRequest
from recovery_soap.core.guard import audit
from recovery_soap.core.import_report import (
    CREATED,
    SKIPPED,
    UNCHANGED,
    UPDATED,
    ImportReport,
)
from recovery_soap.core.legacy_records import (
    HashedSecret,
    ImportedAnswer,
    ImportRecord,
    LegacySecret,
    NewImportedUser,
    PlainSecret,
    Secret,
    Skipped,
    StoredUser,
    naive_utc,
    record_problem,
)
from recovery_soap.core.model import ChallengeAnswer, Tenant
from recovery_soap.core.passwords import (
    LEGACY_SCHEME,
    bare_legacy,
    is_bare_legacy,
    is_wrapped_legacy,
    legacy_salt,
    normalise_answer,
)
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.services import Services

#: Stands for a hash a dry run does not compute.
NOT_COMPUTED = "(dry run)"
CHANGED_MEANWHILE = "changed by the service during the import; run the import again"
DUPLICATE = "the same user appears twice in the source"


@dataclass(frozen=True)
class _Plan:
    record: ImportRecord
    tenant: Tenant | None  # None: a tenant a dry run would create
    current: StoredUser | None
    outcome: str
    reason: str = ""
    password_hash: str | None = None  # None: keep the stored one
    locked: bool | None = None  # None: keep
    claims: dict[str, str] = field(default_factory=dict)
    answers: tuple[ChallengeAnswer, ...] = ()

    def skipped(self, reason: str) -> _Plan:
        return _Plan(self.record, self.tenant, self.current, SKIPPED, reason=reason)


def _written(plan: _Plan, created: set[str], kept: set[str]) -> bool:
    """Whether the write did what the plan said (the service changed no user meanwhile)."""
    wanted = {CREATED: created, UPDATED: kept}.get(plan.outcome)
    return wanted is None or plan.record.username in wanted


class Importer:
    """Imports batches of records into the store of ``env``; one instance per run."""

    def __init__(
        self,
        env: Services,
        *,
        dry_run: bool = False,
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
        delete_missing: bool = False,
    ) -> None:
        self._env = env
        self._dry_run = dry_run
        self._delete_missing = delete_missing
        self._workers = workers or os.cpu_count() or 1
        self._progress = progress or (lambda _read: None)
        self._tenants: dict[str, Tenant | None | str] = {}  # str: why the tenant is unusable
        self._started = env.clock.now()
        self.report = ImportReport(dry_run=dry_run)

    def run(
        self, batches: Iterable[Sequence[ImportRecord | Skipped]], source: str = ""
    ) -> ImportReport:
        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            for number, batch in enumerate(batches, start=1):
                self._batch(batch, pool)
                self._progress(self.report.read)
                if not self._dry_run and number & (number - 1) == 0:  # 1, 2, 4, 8...: as it grows
                    with self._env.uow() as uow:
                        uow.imports.refresh_statistics()
                        uow.commit()
        if self._dry_run:
            self.report.missing = None
        else:
            self._missing()
            self._audit(source)
        return self.report

    def _missing(self) -> None:
        """Report (and with ``delete_missing`` remove) the imported users of the tenants this
        run read that the source no longer holds: not seen since the run started."""
        for tenant in self.tenants:
            with self._env.uow() as uow:
                count, names = uow.imports.missing(tenant, self._started, 20)
                if count and self._delete_missing:
                    uow.imports.delete_missing(tenant, self._started)
                    uow.commit()
            if count:
                self.report.gone(tenant.domain, count, names, self._delete_missing)

    @property
    def tenants(self) -> list[Tenant]:
        """The tenants this run imported into (existing ones)."""
        return [t for t in self._tenants.values() if isinstance(t, Tenant)]

    # --- one batch: admit, read (per tenant), plan, write ----------------------------------

    def _batch(self, items: Sequence[ImportRecord | Skipped], pool: ThreadPoolExecutor) -> None:
        by_tenant: dict[str, list[ImportRecord]] = {}
        in_source: dict[str, list[str]] = {}  # skipped ones too: still in the source
        names: set[tuple[str, str]] = set()  # this batch only: memory stays constant
        for item in items:
            self.report.read += 1
            domain = item.tenant.strip().lower()
            in_source.setdefault(domain, []).append(item.username)
            reason = item.reason if isinstance(item, Skipped) else self._admit(item, names)
            if isinstance(item, Skipped) or reason:
                self.report.skip(item.tenant, item.username, reason or "")
                continue
            by_tenant.setdefault(domain, []).append(item)
        created: set[tuple[str, str]] = set()  # inserted seen already
        for domain, records in by_tenant.items():
            found = self._tenants[domain]
            tenant = found if isinstance(found, Tenant) else None
            created |= {(domain, name) for name in self._tenant_batch(tenant, records, pool)}
        if not self._dry_run:
            self._mark_seen(
                {
                    domain: [n for n in names if (domain, n) not in created]
                    for domain, names in in_source.items()
                }
            )

    def _mark_seen(self, in_source: dict[str, list[str]]) -> None:
        with self._env.uow() as uow:
            for domain, usernames in in_source.items():
                tenant = self._tenants.get(domain)
                if isinstance(tenant, Tenant) and usernames:
                    uow.imports.mark_seen(tenant, usernames, self._started)
            uow.commit()

    def _tenant_batch(
        self, tenant: Tenant | None, records: list[ImportRecord], pool: ThreadPoolExecutor
    ) -> list[str]:
        """Plans and writes the records of one tenant; the usernames created."""
        stored: dict[str, StoredUser] = {}
        if tenant is not None:
            with self._env.uow(readonly=True) as uow:
                stored = uow.imports.stored(tenant, [r.username for r in records])
        found = [(r, tenant, stored.get(r.username)) for r in records]
        wrapped = (  # answers wrapped by rehash compare by an argon2 check
            a.answer_hash.startswith(LEGACY_SCHEME)
            for u in stored.values()
            for a in u.answers.values()
        )
        if any(r.needs_slow_hash for r in records) or any(wrapped):
            plans = list(pool.map(lambda args: self._plan(*args), found))
        else:
            plans = [self._plan(*args) for args in found]
        if not self._dry_run and tenant is not None:
            plans = self._write(tenant, plans)
        for plan in plans:
            self.report.tally(plan.outcome, plan.record.tenant, plan.record.username, plan.reason)
        return [p.record.username for p in plans if p.outcome == CREATED]

    def _admit(self, record: ImportRecord, names: set[tuple[str, str]]) -> str | None:
        """Why the record cannot be imported (None: it can); creates its tenant if need be."""
        tenant = self._tenant(record.tenant)
        if isinstance(tenant, str):
            return tenant
        key = (record.tenant.strip().lower(), record.username)
        if key in names:
            return DUPLICATE
        names.add(key)
        return record_problem(record)

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

    # --- planning: string comparisons, and slow hashes only for secrets given in clear -------

    def _plan(
        self, record: ImportRecord, tenant: Tenant | None, current: StoredUser | None
    ) -> _Plan:
        problem = self._secret_problem(record.password)
        if current is None:
            return self._plan_new(record, tenant, problem)
        if current.created_at is not None and current.created_at >= self._started:
            return _Plan(record, tenant, current, SKIPPED, reason=DUPLICATE)
        password_hash = self._password_change(record, current)
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

    def _plan_new(self, record: ImportRecord, tenant: Tenant | None, problem: str | None) -> _Plan:
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

    def _secret_problem(self, secret: Secret) -> str | None:
        if isinstance(secret, PlainSecret):
            problem = self._env.policy.passwords.problem(secret.text)
            return f"password refused by the policy: {problem}" if problem else None
        if isinstance(secret, HashedSecret) and not self._env.slow.recognises(secret.hashed):
            return "password hash in an unknown format"
        return None

    def _hash(self, secret: Secret) -> str:
        if isinstance(secret, LegacySecret):
            return bare_legacy(secret.digest, secret.salt)
        if isinstance(secret, HashedSecret):
            return secret.hashed
        return NOT_COMPUTED if self._dry_run else self._env.slow.hash(secret.text)

    def _answer_hash(self, answer: ImportedAnswer) -> ChallengeAnswer:
        secret = answer.secret
        if isinstance(secret, PlainSecret):
            secret = PlainSecret(normalise_answer(secret.text))
        return ChallengeAnswer(answer.set_id, answer.question, self._hash(secret))

    def _password_change(self, record: ImportRecord, current: StoredUser) -> str | None:
        """The new password hash, or None to keep the stored one."""
        stored, secret = current.user.password_hash, record.password
        if not is_wrapped_legacy(stored):
            return None  # the service owns this password now
        if isinstance(secret, HashedSecret) and secret.hashed == stored:
            return None
        same_time = record.changed_at is not None and (
            naive_utc(record.changed_at) == current.user.password_changed_at
        )
        if isinstance(secret, LegacySecret) and self._holds(stored, secret, same_time):
            return None
        return self._hash(secret)

    def _holds(self, stored: str, secret: LegacySecret, same_time: bool = False) -> bool:
        """Whether ``stored`` is this digest: a string comparison while it is bare; once
        wrapped by ``rehash``, the salt and change time, else an argon2 check."""
        if is_bare_legacy(stored) or legacy_salt(stored) != secret.salt:
            return stored == bare_legacy(secret.digest, secret.salt)
        return same_time or self._env.slow.holds_legacy(stored, secret.digest, secret.salt)

    def _answer_change(
        self, answer: ImportedAnswer, stored: ChallengeAnswer | None
    ) -> ChallengeAnswer | None:
        """The new stored answer, or None to keep the stored one."""
        if stored is not None and not is_wrapped_legacy(stored.answer_hash):
            return None  # answered right since, or set here: the service owns it
        secret = answer.secret
        if (
            stored is not None
            and isinstance(secret, HashedSecret)
            and (stored.question, stored.answer_hash) == (answer.question, secret.hashed)
        ):
            return None
        if (
            stored is not None
            and stored.question == answer.question
            and isinstance(secret, LegacySecret)
            and self._holds(stored.answer_hash, secret)
        ):
            return None
        return self._answer_hash(answer)

    # --- writing: one unit of work per batch and tenant --------------------------------------

    def _write(self, tenant: Tenant, plans: list[_Plan]) -> list[_Plan]:
        now = self._env.clock.now()
        new = [p for p in plans if p.outcome == CREATED]
        changed = [p for p in plans if p.outcome == UPDATED]
        with self._env.uow() as uow:
            created = uow.imports.create(tenant, [self._new_user(p) for p in new], now)
            again = uow.imports.stored(tenant, [p.record.username for p in changed])
            kept = {p.record.username for p in changed if self._still_current(p, again)}
            for plan in changed:
                if plan.record.username in kept:
                    self._apply(uow, plan, again[plan.record.username])
            uow.commit()
        return [p if _written(p, created, kept) else p.skipped(CHANGED_MEANWHILE) for p in plans]

    @staticmethod
    def _new_user(plan: _Plan) -> NewImportedUser:
        assert plan.password_hash is not None
        return NewImportedUser(
            username=plan.record.username,
            password_hash=plan.password_hash,
            locked=bool(plan.record.locked),
            password_changed_at=naive_utc(plan.record.changed_at),
            claims=plan.claims,
            answers=plan.answers,
            created_at=naive_utc(plan.record.created_at),
            pending=plan.record.pending,
        )

    @staticmethod
    def _still_current(plan: _Plan, again: dict[str, StoredUser]) -> bool:
        """Whether the user is as the plan read it (no recovery or sign-up happened meanwhile)."""
        now = again.get(plan.record.username)
        if now is None or plan.current is None:
            return False
        return (
            now.user.password_hash == plan.current.user.password_hash
            and now.answers == plan.current.answers
        )

    def _apply(self, uow: UnitOfWork, plan: _Plan, current: StoredUser) -> None:
        record, user = plan.record, current.user
        if plan.locked is not None:
            uow.users.set_lock(
                user, locked=plan.locked, pending=user.pending_confirmation and plan.locked
            )
        if plan.password_hash is not None:
            changed_at = naive_utc(record.changed_at) or self._env.clock.now()
            uow.users.set_password(user, plan.password_hash, changed_at)
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
