"""Password and challenge-answer hashing (argon2id) and the password policy.

Secrets imported from WSO2 are known only by their legacy digest, Base64(SHA-256(secret + salt)),
a fast unsalted-or-weakly-salted hash that is never stored bare: it is wrapped in argon2id as
``$wso2-sha256$<salt>$<argon2id over the digest>``. Such a hash verifies like any other, and the
first successful verification yields a plain argon2id hash of the secret to store instead
(passlib's verify-and-update idiom), as does a change of the argon2 parameters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from passlib.context import CryptContext


@dataclass(frozen=True)
class PasswordPolicy:
    """NIST SP 800-63B style: a length window, plus an optional regular expression."""

    min_length: int = 8
    max_length: int = 64
    regex: str = ""
    regex_message: str = ""

    def problem(self, password: str | None) -> str | None:
        """Why the password is refused, or None when it is acceptable."""
        if not password or not password.strip():
            return "The password must not be empty."
        if not self.min_length <= len(password) <= self.max_length:
            return f"The password must be {self.min_length} to {self.max_length} characters long."
        if self.regex and re.fullmatch(self.regex, password) is None:
            return self.regex_message or "The password does not match the password policy."
        return None


class SlowHasher:
    """argon2id through passlib, for human-chosen secrets: passwords and challenge answers."""

    def __init__(self, memory_kib: int = 19456, time_cost: int = 3, parallelism: int = 1) -> None:
        self._context = CryptContext(
            schemes=["argon2"],
            argon2__type="ID",
            argon2__memory_cost=memory_kib,
            argon2__rounds=time_cost,
            argon2__parallelism=parallelism,
        )
        # A hash of nothing in particular, verified when there is no user, so that an unknown
        # user costs the same time as a known one.
        self._decoy = self._context.hash("decoy-password-for-timing")

    def hash(self, secret: str) -> str:
        return str(self._context.hash(secret))

    def verify(self, secret: str, hashed: str | None) -> bool:
        return self.verify_and_update(secret, hashed)[0]

    def verify_and_update(self, secret: str, hashed: str | None) -> tuple[bool, str | None]:
        """Whether ``secret`` matches, and a new hash to store when the stored one is outdated
        (a wrapped legacy digest, or other argon2 parameters); None when it should stay."""
        if not hashed:
            self._context.verify(secret, self._decoy)
            return False, None
        legacy = _unwrap(hashed)
        if legacy is None:
            ok, new_hash = self._context.verify_and_update(secret, hashed)
            return bool(ok), new_hash if ok else None
        salt, inner = legacy
        if not self._context.verify(legacy_digest(secret, salt), inner):
            return False, None
        return True, self.hash(secret)

    def wrap_legacy(self, digest: str, salt: str = "") -> str:
        """Store a legacy digest (see :func:`legacy_digest`) verifiably, never bare."""
        return f"{LEGACY_SCHEME}{_encode_salt(salt)}{self._context.hash(digest)}"

    def recognises(self, hashed: str) -> bool:
        """Whether ``hashed`` is in a form this hasher verifies: argon2, or a wrapped digest."""
        legacy = _unwrap(hashed)
        if is_wrapped_legacy(hashed) and legacy is None:
            return False
        try:
            self._context.handler().from_string(legacy[1] if legacy else hashed)
        except (ValueError, TypeError):
            return False
        return True

    def holds_legacy(self, hashed: str, digest: str, salt: str = "") -> bool:
        """Whether ``hashed`` is the wrap of exactly this legacy digest and salt (re-imports)."""
        legacy = _unwrap(hashed)
        if legacy is None or legacy[0] != salt:
            return False
        return bool(self._context.verify(digest, legacy[1]))


#: Marks a legacy WSO2 digest wrapped in argon2id; the salt follows, then the argon2id hash.
LEGACY_SCHEME = "$wso2-sha256$"


def legacy_digest(secret: str, salt: str = "") -> str:
    """WSO2's stored form of a secret: Base64(SHA-256(secret + salt)), salt as text."""
    digest = hashlib.sha256((secret + salt).encode("utf-8")).digest()
    return base64.b64encode(digest).decode("ascii")


def is_legacy_digest(value: str) -> bool:
    """Whether ``value`` has the shape of a legacy digest: Base64 of 32 bytes."""
    if len(value) != 44:
        return False
    try:
        return len(base64.b64decode(value, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def is_wrapped_legacy(hashed: str) -> bool:
    return hashed.startswith(LEGACY_SCHEME)


def legacy_salt(hashed: str) -> str | None:
    """The salt of a wrapped legacy hash; None for any other hash."""
    legacy = _unwrap(hashed)
    return legacy[0] if legacy else None


def _encode_salt(salt: str) -> str:
    # The salt is arbitrary text; URL-safe Base64 keeps "$" (the field separator) out of it.
    return base64.urlsafe_b64encode(salt.encode("utf-8")).decode("ascii").rstrip("=")


def _unwrap(hashed: str) -> tuple[str, str] | None:
    """(salt, argon2id hash of the digest) of a wrapped legacy hash; None for any other."""
    if not hashed.startswith(LEGACY_SCHEME):
        return None
    encoded, sep, rest = hashed[len(LEGACY_SCHEME) :].partition("$")
    if not sep:
        return None
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        salt = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return salt, "$" + rest


def normalise_answer(answer: str) -> str:
    """Answers match after trimming and lower-casing, as the legacy server compared them."""
    return answer.strip().lower()
