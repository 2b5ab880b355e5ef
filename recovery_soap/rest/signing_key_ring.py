"""The key ring that signs and verifies access tokens (ES256, joserfc), kept in the database.

A key is generated on the first start; ``recovery-soap keys rotate`` replaces it. A retired key
stays published at /oauth2/jwks, and accepted, for one token lifetime: the tokens it signed
expire before it is dropped. Each worker re-reads the ring every few seconds, and at once when a
token names a key it does not know, so a rotation reaches every worker without a restart.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from joserfc.jwk import ECKey, KeySet

from recovery_soap.config import Settings
from recovery_soap.core.ports import Clock
from recovery_soap.core.signing import SigningKeys, StoredKey

ALGORITHM = "ES256"
CURVE = "P-256"
RELOAD_SECONDS = 30.0
UNKNOWN_KID_RELOAD_SECONDS = 1.0


def new_key(clock: Clock) -> StoredKey:
    now = clock.now()
    kid = f"{now:%Y%m%d}-{uuid.uuid4().hex[:12]}"
    key = ECKey.generate_key(
        CURVE, parameters={"kid": kid, "use": "sig", "alg": ALGORITHM}, private=True
    )
    return StoredKey(
        kid=kid,
        private_jwk=json.dumps(key.as_dict(private=True)),
        public_jwk=json.dumps(key.as_dict(private=False)),
        created_at=now,
        retired_at=None,
    )


class KeyRing:
    def __init__(self, store: SigningKeys, clock: Clock, settings: Settings) -> None:
        self._store = store
        self._clock = clock
        self._lifetime = timedelta(minutes=settings.token_minutes)
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._signing: tuple[str, ECKey] | None = None
        self._public: KeySet = KeySet([])
        self._published: list[dict[str, Any]] = []

    def _load(self) -> None:
        listed = self._store.listing(self._clock.now() - self._lifetime)
        if not any(k.retired_at is None for k in listed):
            self._store.add_first(new_key(self._clock))
            listed = self._store.listing(self._clock.now() - self._lifetime)
        active = [k for k in listed if k.retired_at is None]
        signing = active[0]
        self._signing = (signing.kid, ECKey.import_key(json.loads(signing.private_jwk)))
        self._published = [json.loads(k.public_jwk) for k in listed]
        self._public = KeySet([ECKey.import_key(jwk) for jwk in self._published])
        self._loaded_at = time.monotonic()

    def _fresh(self, max_age: float = RELOAD_SECONDS) -> None:
        if time.monotonic() - self._loaded_at > max_age:
            with self._lock:
                if time.monotonic() - self._loaded_at > max_age:
                    self._load()

    def refresh(self) -> None:
        """Re-read the ring now (tests; a worker otherwise re-reads it every few seconds)."""
        with self._lock:
            self._load()

    def signing_key(self) -> tuple[str, ECKey]:
        self._fresh()
        assert self._signing is not None
        return self._signing

    def verification_keys(self, kid: str | None) -> KeySet:
        """The published public keys; re-read first when ``kid`` is not among them."""
        self._fresh()
        if kid is not None and kid not in self.kids():
            self._fresh(UNKNOWN_KID_RELOAD_SECONDS)
        return self._public

    def kids(self) -> set[str]:
        return {str(jwk.get("kid")) for jwk in self._published}

    def jwks(self) -> dict[str, Any]:
        self._fresh()
        return {"keys": list(self._published)}

    def rotate(self, *, revoke_previous: bool = False) -> str:
        """Sign with a new key from now on; the old one stays published for a token lifetime,
        or is dropped at once with ``revoke_previous`` (a leaked key: its tokens die with it)."""
        key = new_key(self._clock)
        now = self._clock.now()
        forget_before = now + timedelta(seconds=1) if revoke_previous else now - self._lifetime
        self._store.rotate(key, now, forget_before=forget_before)
        with self._lock:
            self._load()
        return key.kid
