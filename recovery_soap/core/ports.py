"""What the core needs from outside, as Protocols the store and notify layers implement."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from recovery_soap.core.model import (
    AuditEvent,
    CallerSession,
    CaptchaRecord,
    ChallengeAnswer,
    CodeRecord,
    DirectoryEntry,
    GuardState,
    Limit,
    MessageKind,
    NewCode,
    OutgoingMessage,
    Presented,
    Purpose,
    Question,
    RenderedMessage,
    ServiceAccount,
    Tenant,
    User,
    UserCondition,
)

if TYPE_CHECKING:
    from recovery_soap.core.legacy_records import NewImportedUser, StoredUser


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, naive UTC."""
        ...


class RandomSource(Protocol):
    """Where codes and secrets come from: the system's CSPRNG in service, a known sequence in
    the core's tests."""

    def code(self) -> str: ...
    def secret(self) -> str: ...


class Tenants(Protocol):
    def by_domain(self, domain: str) -> Tenant | None: ...
    def add(self, domain: str) -> Tenant: ...
    def all(self) -> list[Tenant]: ...
    def delete(self, tenant: Tenant) -> None:
        """Remove the tenant and, by cascade, everything that belongs to it."""
        ...

    def set_notify_changes(self, tenant: Tenant, enabled: bool) -> None: ...
    def set_self_signup(self, tenant: Tenant, enabled: bool) -> None: ...


class Users(Protocol):
    def get(self, tenant: Tenant, username: str) -> User | None: ...
    def add(
        self,
        tenant: Tenant,
        username: str,
        password_hash: str,
        *,
        locked: bool,
        pending: bool,
        now: datetime,
    ) -> User: ...
    def set_password(self, user: User, password_hash: str, now: datetime) -> None:
        """A new password; raises the credential version (the user's tokens end)."""
        ...

    def rehash_password(self, user: User, password_hash: str) -> None:
        """Store a new hash of the same password (an upgrade after a right password)."""
        ...

    def set_lock(self, user: User, *, locked: bool, pending: bool) -> None:
        """Lock or unlock; a lock raises the credential version (the user's tokens end)."""
        ...

    def delete(self, user: User) -> None:
        """Remove the user with its claims, answers, codes and guard state."""
        ...

    def claims(self, user: User) -> dict[str, str]: ...
    def set_claims(self, user: User, claims: Mapping[str, str]) -> None: ...
    def find_by_claims(
        self, tenant: Tenant, claims: Sequence[tuple[str, str]], limit: int = 2
    ) -> set[int]: ...
    def by_id(self, user_id: int) -> User | None: ...
    def answers(self, user: User) -> list[ChallengeAnswer]: ...
    def set_answers(self, user: User, answers: Sequence[ChallengeAnswer]) -> None: ...
    def set_answer_hash(self, user: User, set_id: str, answer_hash: str) -> None:
        """Replace the hash of one stored answer (a rehash after a right answer)."""
        ...


class Codes(Protocol):
    def add(self, code: NewCode) -> None: ...
    def replace(self, code: NewCode) -> None:
        """Spend the user's unused codes of the code's purpose, then store this one."""
        ...

    def find(self, code_hash: str) -> tuple[CodeRecord, str] | None:
        """The record with this keyed hash, and the stored hash (for a constant-time check)."""
        ...

    def consume(self, record_id: int, now: datetime) -> bool:
        """Mark the code used if it is still unused; True only for the one caller that did."""
        ...

    def spend_all(self, user_id: int, purpose: Purpose, now: datetime) -> None: ...
    def live(self, user_id: int, purpose: Purpose, now: datetime) -> CodeRecord | None:
        """The user's newest unused, unexpired code of this purpose."""
        ...

    def link_message(self, code_hash: str, message_id: int) -> None: ...


class Captchas(Protocol):
    def add(
        self,
        key_hash: str,
        image_id: str,
        answer_hash: str,
        image: bytes,
        now: datetime,
        expires_at: datetime,
    ) -> None: ...
    def take(self, key_hash: str, now: datetime) -> CaptchaRecord | None:
        """Remove the captcha and return it; None when unknown or already taken."""
        ...

    def image(self, image_id: str, now: datetime) -> bytes | None: ...
    def purge(self, now: datetime) -> None: ...


class Questions(Protocol):
    def for_tenant(self, tenant: Tenant) -> list[Question]: ...
    def add(self, tenant: Tenant, question: Question) -> None: ...


class Outbox(Protocol):
    def enqueue(self, message: OutgoingMessage, now: datetime) -> int: ...
    def requeue(self, message_id: int, now: datetime) -> bool:
        """Queue a copy of a kept message again; False when it is no longer kept."""
        ...


class Guards(Protocol):
    """Failure counts and locks, kept per name presented in a tenant (a user's or not)."""

    def state(self, user: User | Presented) -> GuardState | None: ...
    def record_failure(
        self, user: User | Presented, now: datetime, window: timedelta
    ) -> GuardState: ...
    def lock(self, user: User | Presented, until: datetime) -> None: ...
    def clear(self, user: User | Presented) -> None: ...


class AuditTrail(Protocol):
    def record(self, event: AuditEvent) -> None: ...


class RateLimiter(Protocol):
    def allow(self, limit: Limit, *identifiers: str) -> bool:
        """Count a hit; False when the limit is exceeded."""
        ...

    def exhausted(self, limit: Limit, *identifiers: str) -> bool:
        """Whether the limit is used up, without counting a hit."""
        ...


class Accounts(Protocol):
    def count(self) -> int: ...
    def get(self, name: str) -> ServiceAccount | None: ...
    def put(self, account: ServiceAccount) -> None: ...
    def delete(self, name: str) -> bool: ...
    def all(self) -> list[ServiceAccount]: ...


class CallerSessions(Protocol):
    """Service-account login sessions, by the keyed hash of their id."""

    def open(self, session: CallerSession) -> None: ...
    def get(self, id_hash: str) -> CallerSession | None: ...
    def touch(self, id_hash: str, at: datetime) -> None: ...
    def end(self, id_hash: str) -> bool: ...
    def end_stale(self, idle_since: datetime, now: datetime) -> int: ...


class Directory(Protocol):
    """Users of a tenant as a directory: search, read with claims, rename, remove."""

    def search(
        self, tenant: Tenant, conditions: Sequence[UserCondition], offset: int, limit: int
    ) -> tuple[int, list[DirectoryEntry]]:
        """The total of matching users and one page of them, ordered by id."""
        ...

    def entry(self, tenant: Tenant, user_id: int) -> DirectoryEntry | None: ...
    def hold(self, user: User) -> None:
        """Lock the user's row until the end of the transaction (read-modify-write)."""
        ...

    def remove_claims(self, user: User, uris: Collection[str]) -> None: ...
    def rename(self, user: User, username: str) -> None: ...
    def delete(self, user: User) -> None: ...


class Imports(Protocol):
    """Batches of users read and written at once (the importer)."""

    def stored(self, tenant: Tenant, usernames: Sequence[str]) -> dict[str, StoredUser]: ...
    def create(
        self, tenant: Tenant, users: Sequence[NewImportedUser], now: datetime
    ) -> set[str]: ...
    def mark_seen(self, tenant: Tenant, usernames: Sequence[str], at: datetime) -> None: ...
    def refresh_statistics(self) -> None: ...
    def missing(self, tenant: Tenant, before: datetime, limit: int) -> tuple[int, list[str]]: ...
    def delete_missing(self, tenant: Tenant, before: datetime) -> int: ...


class UnitOfWork(Protocol):
    """One transaction: leaving it without commit() rolls everything back."""

    tenants: Tenants
    users: Users
    codes: Codes
    captchas: Captchas
    questions: Questions
    outbox: Outbox
    accounts: Accounts
    sessions: CallerSessions
    guards: Guards
    audit: AuditTrail
    directory: Directory
    imports: Imports

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def savepoint(self, *, keep: bool) -> AbstractContextManager[None]:
        """A nested transaction: kept (keep=True) or undone when the block ends, undone on an
        error. Hidden existence runs a decoy's statements in one that is undone."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, readonly: bool = False) -> UnitOfWork:
        """A fresh unit of work; ``readonly`` ones take no write lock (they must not write)."""
        ...


#: Renders (kind, variables) to the subject, bodies and sender of an outbox message.
MessageRenderer = Callable[[MessageKind, Mapping[str, str]], RenderedMessage]

#: Renders a captcha text to image bytes.
CaptchaRenderer = Callable[[str], bytes]
