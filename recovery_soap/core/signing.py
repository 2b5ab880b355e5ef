"""Token signing keys as the token faces see them: a stored key and the port that keeps them
(store/signing_keys.py implements it), so that no face builds or imports the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class StoredKey:
    kid: str
    private_jwk: str
    public_jwk: str
    created_at: datetime
    retired_at: datetime | None


class SigningKeys(Protocol):
    def listing(self, retired_since: datetime) -> list[StoredKey]:
        """The active key(s) and those retired after ``retired_since``, newest first."""
        ...

    def add_first(self, key: StoredKey) -> bool:
        """Store the first key unless another worker stored one first; True if this one won."""
        ...

    def rotate(self, key: StoredKey, now: datetime, forget_before: datetime) -> None:
        """Retire the active keys, store ``key``, drop keys retired before ``forget_before``."""
        ...
