"""Users as a legacy store or a file describes them, and the legacy rules for reading their claims.

The legacy server keeps challenge answers as claims (set id -> ``question!hash``, the hash being
Base64(SHA-256(answer trimmed and lower-cased))), the user's set list in ``challengeQuestionUris``
and the lock in ``identity/accountLocked``. Its default claim mapping stores those in re-purposed
LDAP attributes (``challengeQuestion1`` in ``gender``), so a value is read by its shape as well as
by the attribute it came from: :func:`claim_for_value`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from recovery_soap.core.claims import (
    ANSWER_SEPARATOR,
    CHALLENGE_SET_PREFIX,
    CHALLENGE_URIS,
    DIALECT,
    is_challenge_set,
)
from recovery_soap.core.model import ChallengeAnswer, User
from recovery_soap.core.passwords import is_legacy_digest

ACCOUNT_LOCKED = f"{DIALECT}/identity/accountLocked"
PRIMARY_QUESTION = f"{DIALECT}/primaryChallengeQuestion"
IDENTITY_PREFIX = f"{DIALECT}/identity/"
#: Claims that are account state, secrets or names, never copied into the profile.
NOT_PROFILE = frozenset(
    {
        CHALLENGE_URIS,
        PRIMARY_QUESTION,
        f"{DIALECT}/oneTimePassword",
        f"{DIALECT}/username",
    }
)


@dataclass(frozen=True)
class PlainSecret:
    """A secret in clear (a password or an answer given in an import file)."""

    text: str


@dataclass(frozen=True)
class LegacySecret:
    """A secret known only by its legacy digest: Base64(SHA-256(secret + salt))."""

    digest: str
    salt: str = ""


@dataclass(frozen=True)
class HashedSecret:
    """A password hash in a form the verifier knows already (argon2)."""

    hashed: str


Secret = PlainSecret | LegacySecret | HashedSecret


@dataclass(frozen=True)
class ImportedAnswer:
    set_id: str
    question: str
    secret: PlainSecret | LegacySecret | HashedSecret


@dataclass(frozen=True)
class ImportRecord:
    """One user to import. ``locked`` None leaves an existing user's lock as it is;
    ``created_at`` and ``pending`` are kept for new users (an export read back)."""

    tenant: str
    username: str
    password: Secret
    changed_at: datetime | None = None
    locked: bool | None = None
    claims: Mapping[str, str] = field(default_factory=dict)
    answers: tuple[ImportedAnswer, ...] = ()
    created_at: datetime | None = None
    pending: bool = False

    @property
    def needs_slow_hash(self) -> bool:
        """Whether importing it computes argon2 (secrets given in clear): worth threads."""
        return isinstance(self.password, PlainSecret) or any(
            isinstance(a.secret, PlainSecret) for a in self.answers
        )


@dataclass(frozen=True)
class Skipped:
    """A user the source could not turn into a record, and why."""

    tenant: str
    username: str
    reason: str


@dataclass(frozen=True)
class StoredUser:
    """What the store holds for a user an import reads (``created_at`` tells a user this run
    created: a name seen twice)."""

    user: User
    created_at: datetime | None
    claims: dict[str, str]
    answers: dict[str, ChallengeAnswer]


@dataclass(frozen=True)
class NewImportedUser:
    """A user an import inserts, hashes in their stored form."""

    username: str
    password_hash: str
    locked: bool
    password_changed_at: datetime | None
    claims: Mapping[str, str]
    answers: tuple[ChallengeAnswer, ...]
    created_at: datetime | None = None  # None: now
    pending: bool = False


def is_profile_claim(uri: str) -> bool:
    return not (uri in NOT_PROFILE or uri.startswith(IDENTITY_PREFIX) or is_challenge_set(uri))


def _answer_shaped(value: str) -> bool:
    question, sep, digest = value.rpartition(ANSWER_SEPARATOR)
    return bool(sep and question.strip()) and is_legacy_digest(digest.strip())


def _set_list_shaped(value: str) -> bool:
    parts = [p.strip() for p in value.split(ANSWER_SEPARATOR) if p.strip()]
    return bool(parts) and all(is_challenge_set(p) for p in parts)


def _shaped_for(claim: str, value: str) -> bool:
    if is_challenge_set(claim):
        return _answer_shaped(value)
    if claim == CHALLENGE_URIS:
        return _set_list_shaped(value)
    return CHALLENGE_SET_PREFIX in value  # the primary question names its set


@functools.lru_cache(maxsize=1024)
def _split_candidates(candidates: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    """(challenge claims, first other claim) of one attribute's claims; computed once per
    mapping, not once per value (a million users have millions of values)."""
    challenge = tuple(
        c for c in candidates if c in (CHALLENGE_URIS, PRIMARY_QUESTION) or is_challenge_set(c)
    )
    return challenge, next((c for c in candidates if c not in challenge), None)


def claim_for_value(candidates: Sequence[str], value: str) -> str | None:
    """Which of the claims mapped to one attribute a value belongs to: a challenge claim when the
    value is shaped like its data, otherwise the first other claim (None: no claim fits)."""
    challenge, other = _split_candidates(tuple(candidates))
    for claim in challenge:
        if _shaped_for(claim, value):
            return claim
    return other


def _answer(set_id: str, value: str) -> ImportedAnswer | None:
    question, sep, secret = value.rpartition(ANSWER_SEPARATOR)
    question, secret = question.strip(), secret.strip()
    if not (sep and question and secret):
        return None
    kept: PlainSecret | LegacySecret = (
        LegacySecret(secret) if is_legacy_digest(secret) else PlainSecret(secret)
    )
    return ImportedAnswer(set_id=set_id, question=question, secret=kept)


def split_claims(
    claims: Mapping[str, str],
) -> tuple[dict[str, str], tuple[ImportedAnswer, ...], bool | None]:
    """Profile claims, challenge answers and lock state (None: not given) from legacy claims.

    Answers are ``question!hash`` (or ``question!answer`` in clear); when the set list claim is
    present only the sets it names count, as the legacy server read them.
    """
    answers = [
        answer
        for uri, value in sorted(claims.items())
        if is_challenge_set(uri) and (answer := _answer(uri, value)) is not None
    ]
    listed = claims.get(CHALLENGE_URIS)
    if listed is not None:
        wanted = {p.strip() for p in listed.split(ANSWER_SEPARATOR)}
        answers = [a for a in answers if a.set_id in wanted]
    lock = claims.get(ACCOUNT_LOCKED)
    locked = None if lock is None else lock.strip().lower() == "true"
    profile = {uri: value for uri, value in claims.items() if is_profile_claim(uri) and value != ""}
    return profile, tuple(answers), locked


MAX_NAME, MAX_VALUE = 255, 1024


def record_problem(record: ImportRecord) -> str | None:
    """Why the store cannot hold the record as it is (None: it can)."""
    if not record.username.strip() or len(record.username) > MAX_NAME:
        return "username empty or longer than 255 characters"
    if any(len(uri) > MAX_NAME or len(value) > MAX_VALUE for uri, value in record.claims.items()):
        return "claim URI over 255 or value over 1024 characters"
    if any(len(a.question) > MAX_VALUE for a in record.answers):
        return "challenge question over 1024 characters"
    return None


def naive_utc(moment: datetime | None) -> datetime | None:
    """Naive UTC, as the store keeps times."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
