"""Outbox content sealed at rest: a queued message's text is kept encrypted (AES-256-GCM).

A message carries the user's code, so the outbox never holds it in clear: the body is sealed
when queued, opened only by the dispatcher to send it, and erased once it is sent or dead.
The key is derived (HKDF-SHA-256) from the ``secret_key`` setting, which the database does not
hold; without that setting it falls back to the server key kept in the database, which protects
nothing against a dump (``recovery-soap doctor`` says so). The message's kind and recipient are
bound to the ciphertext, so a sealed body cannot be moved to another address.

cryptography (about 7 MB resident) is imported on the first seal or open, not with this module:
a worker that never queues a message (external sending, read-only calls) does without it.
"""

from __future__ import annotations

import base64
import os
import threading
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from recovery_soap.core.errors import RecoverySoapError
from recovery_soap.store.server_key import server_key

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "sealed:v1:"
_INFO = b"recovery-soap outbox sealing v1"
_NONCE_BYTES = 12


class UnreadableMessage(RecoverySoapError, ValueError):
    """A sealed text that this key cannot open (the secret key changed, or it was altered)."""


class Sealer:
    """Seals and opens outbox texts under one key; ``context`` is bound to each ciphertext."""

    def __init__(self, key_material: bytes) -> None:
        self._key_material = key_material
        self._aead: AESGCM | None = None
        self._lock = threading.Lock()

    def _cipher(self) -> AESGCM:
        """The AES-GCM cipher, its key derived once per process on first use."""
        if self._aead is None:
            with self._lock:
                if self._aead is None:
                    from cryptography.hazmat.primitives import hashes
                    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
                    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

                    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
                    self._aead = AESGCM(hkdf.derive(self._key_material))
        return self._aead

    def seal(self, text: str, context: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._cipher().encrypt(nonce, text.encode("utf-8"), context.encode("utf-8"))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, stored: str, context: str) -> str:
        """The clear text of a sealed value; a value stored before sealing existed is returned
        as it is (it is erased after sending like any other)."""
        if not stored.startswith(PREFIX):
            return stored
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
            clear = self._cipher().decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8")
            )
        except (InvalidTag, ValueError) as exc:
            raise UnreadableMessage("the message was sealed with another key") from exc
        return clear.decode("utf-8")


def message_context(kind: str, recipient: str) -> str:
    """What a message's sealed texts are bound to."""
    return f"{kind}\x00{recipient}"


def sealer_for(engine: Engine, secret_key: str = "") -> Sealer:
    """The outbox sealer: keyed by the ``secret_key`` setting, else by the database's key."""
    return Sealer(server_key(engine, secret_key))
