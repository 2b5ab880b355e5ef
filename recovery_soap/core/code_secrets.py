"""Codes, keys and their keyed hashes.

Codes are 128 random bits from :mod:`secrets`, shown in the UUID shape legacy clients expect.
Only an HMAC-SHA-256 of a code (keyed with the server secret) is stored, so a database dump
yields no usable code; lookups go by that hash and are confirmed with a constant-time compare.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as _random


def new_code() -> str:
    """A fresh code: 128 bits of entropy in UUID layout (8-4-4-4-12 hex)."""
    raw = _random.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def new_secret() -> str:
    """A high-entropy secret for service accounts and server keys (256 bits, URL-safe)."""
    return _random.token_urlsafe(32)


class SystemRandom:
    """The service's random source (core.ports.RandomSource): the operating system's CSPRNG."""

    def code(self) -> str:
        return new_code()

    def secret(self) -> str:
        return new_secret()


class KeyedHasher:
    """HMAC-SHA-256 under the server key, with a domain label so hashes never cross uses."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the server key must be at least 16 bytes")
        self._key = key

    def digest(self, label: str, value: str) -> str:
        message = label.encode() + b"\x00" + value.strip().lower().encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def exact_digest(self, label: str, value: str) -> str:
        """Like digest, but without normalising the value (secrets chosen by machines)."""
        message = label.encode() + b"\x00" + value.encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    @staticmethod
    def same(left: str, right: str) -> bool:
        return hmac.compare_digest(left.encode(), right.encode())
