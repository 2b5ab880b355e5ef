"""Password and challenge-answer hashing (argon2id) and the password policy.

Secrets imported from WSO2 are known only by their legacy digest, Base64(SHA-256(secret + salt)),
a fast, weakly salted hash. The import copies it as it is, marked with its scheme
(``$wso2-sha256-digest$<salt>$<digest>``), so that a million users import in minutes;
``recovery-soap rehash`` then wraps every such digest in argon2id
(``$wso2-sha256$<salt>$<argon2id over the digest>``). Both forms verify like any other hash, and
the first successful verification yields a plain argon2id hash of the secret to store instead
(passlib's verify-and-update idiom), as does a change of the argon2 parameters.

Passwords imported from an LDAP directory keep their ``userPassword`` form behind ``$ldap$``
({SSHA}, {SHA}, {SSHA256}, {SSHA512}, {CRYPT} with bcrypt or SHA-crypt), verified by passlib's
LDAP handlers and upgraded to argon2id the same way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
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


#: The LDAP ``userPassword`` schemes an import accepts (passlib handler names).
LDAP_SCHEMES = [
    "ldap_salted_sha1",
    "ldap_salted_sha256",
    "ldap_salted_sha512",
    "ldap_sha1",
    "ldap_bcrypt",
    "ldap_sha512_crypt",
    "ldap_sha256_crypt",
]
_LDAP = CryptContext(schemes=LDAP_SCHEMES)


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
        if hashed.startswith(LDAP_SCHEME):
            self._context.verify(secret, self._decoy)  # an argon2 check's time, as for the others
            if not _ldap_verify(secret, hashed[len(LDAP_SCHEME) :]):
                return False, None
            return True, self.hash(secret)
        bare = _bare(hashed)
        if bare is not None:
            self._context.verify(secret, self._decoy)
            if not hmac.compare_digest(legacy_digest(secret, bare[0]), bare[1]):
                return False, None
            return True, self.hash(secret)
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

    def rewrap(self, hashed: str) -> str | None:
        """The argon2id wrap of a bare imported digest (None: ``hashed`` is not one)."""
        bare = _bare(hashed)
        return None if bare is None else self.wrap_legacy(bare[1], bare[0])

    def recognises(self, hashed: str) -> bool:
        """Whether ``hashed`` is in a form this hasher verifies: argon2, a bare imported digest
        or a wrapped one."""
        if is_bare_legacy(hashed):
            return _bare(hashed) is not None
        if hashed.startswith(LDAP_SCHEME):
            return is_ldap_password(hashed[len(LDAP_SCHEME) :])
        legacy = _unwrap(hashed)
        if is_wrapped_legacy(hashed) and legacy is None:
            return False
        try:
            self._context.handler().from_string(legacy[1] if legacy else hashed)
        except (ValueError, TypeError):
            return False
        return True

    def holds_legacy(self, hashed: str, digest: str, salt: str = "") -> bool:
        """Whether ``hashed`` holds exactly this legacy digest and salt (re-imports): a string
        comparison for a bare digest, an argon2 check for a wrapped one."""
        bare = _bare(hashed)
        if bare is not None:
            return bare == (salt, digest)
        legacy = _unwrap(hashed)
        if legacy is None or legacy[0] != salt:
            return False
        return bool(self._context.verify(digest, legacy[1]))


#: Marks a legacy WSO2 digest wrapped in argon2id; the salt follows, then the argon2id hash.
LEGACY_SCHEME = "$wso2-sha256$"
#: Marks a legacy WSO2 digest stored as imported; the salt follows, then the digest.
BARE_SCHEME = "$wso2-sha256-digest$"


#: Marks an LDAP userPassword hash stored as imported (until its first successful check).
LDAP_SCHEME = "$ldap$"


def is_ldap_password(value: str) -> bool:
    """Whether ``value`` is a userPassword hash in a scheme this service verifies."""
    try:
        return _LDAP.identify(value, required=False) is not None
    except (ValueError, TypeError):
        return False


def _ldap_verify(secret: str, value: str) -> bool:
    try:
        return bool(_LDAP.verify(secret, value))
    except (ValueError, TypeError):
        return False


def bare_legacy(digest: str, salt: str = "") -> str:
    """The stored form of an imported digest, until ``rehash`` or the first successful check."""
    return f"{BARE_SCHEME}{_encode_salt(salt)}${digest}"


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
    """Whether ``hashed`` is still an imported legacy digest, bare or wrapped in argon2id (the
    import may replace it; once upgraded or changed, the service owns it)."""
    return hashed.startswith((LEGACY_SCHEME, BARE_SCHEME, LDAP_SCHEME))


def is_bare_legacy(hashed: str) -> bool:
    """Whether ``hashed`` is an imported digest not yet wrapped (``rehash`` wraps it)."""
    return hashed.startswith(BARE_SCHEME)


def legacy_salt(hashed: str) -> str | None:
    """The salt of an imported legacy hash, bare or wrapped; None for any other hash."""
    legacy = _bare(hashed) or _unwrap(hashed)
    return legacy[0] if legacy else None


def _bare(hashed: str) -> tuple[str, str] | None:
    """(salt, digest) of a bare imported digest; None for any other hash."""
    if not hashed.startswith(BARE_SCHEME):
        return None
    encoded, sep, digest = hashed[len(BARE_SCHEME) :].partition("$")
    salt = _decode_salt(encoded)
    if not sep or salt is None or not is_legacy_digest(digest):
        return None
    return salt, digest


def _decode_salt(encoded: str) -> str | None:
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _encode_salt(salt: str) -> str:
    # The salt is arbitrary text; URL-safe Base64 keeps "$" (the field separator) out of it.
    return base64.urlsafe_b64encode(salt.encode("utf-8")).decode("ascii").rstrip("=")


def _unwrap(hashed: str) -> tuple[str, str] | None:
    """(salt, argon2id hash of the digest) of a wrapped legacy hash; None for any other."""
    if not hashed.startswith(LEGACY_SCHEME):
        return None
    encoded, sep, rest = hashed[len(LEGACY_SCHEME) :].partition("$")
    salt = _decode_salt(encoded)
    if not sep or salt is None:
        return None
    return salt, "$" + rest


def normalise_answer(answer: str) -> str:
    """Answers match after trimming and lower-casing, as the legacy server compared them."""
    return answer.strip().lower()
