"""Token signing keys in the database, so every worker signs and verifies with the same ones.

The newest unretired key signs; a rotation retires it and stores a new one in one transaction;
retired keys stay listed (and published) until the caller stops asking for them.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Engine, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from recovery_soap.core.errors import Unavailable
from recovery_soap.core.signing import StoredKey
from recovery_soap.store.models import SigningKeyRow

signing_t = cast(Table, SigningKeyRow.__table__)


class SigningKeyStore:
    """The core's SigningKeys port on the signing_keys table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def listing(self, retired_since: datetime) -> list[StoredKey]:
        """The active key(s) and those retired after ``retired_since``, newest first."""
        query = (
            select(signing_t)
            .where((signing_t.c.retired_at.is_(None)) | (signing_t.c.retired_at > retired_since))
            .order_by(signing_t.c.created_at.desc(), signing_t.c.kid)
        )
        try:
            with self._engine.connect() as connection:
                rows = connection.execute(query).all()
        except OperationalError as exc:
            raise Unavailable("the database is unreachable") from exc
        return [
            StoredKey(r.kid, r.private_jwk, r.public_jwk, r.created_at, r.retired_at) for r in rows
        ]

    def add_first(self, key: StoredKey) -> bool:
        """Store the first key unless another worker stored one first; True if this one won."""
        try:
            with self._engine.begin() as connection:
                active = connection.execute(
                    select(signing_t.c.kid).where(signing_t.c.retired_at.is_(None)).limit(1)
                ).first()
                if active is not None:
                    return False
                connection.execute(insert(signing_t).values(**_values(key)))
        except IntegrityError:
            return False
        except OperationalError as exc:
            raise Unavailable("the database is unreachable") from exc
        return True

    def rotate(self, key: StoredKey, now: datetime, forget_before: datetime) -> None:
        """Retire the active keys, store ``key`` as the new one, and drop keys retired before
        ``forget_before`` (no token they signed is still valid)."""
        with self._engine.begin() as connection:
            connection.execute(
                update(signing_t).where(signing_t.c.retired_at.is_(None)).values(retired_at=now)
            )
            connection.execute(insert(signing_t).values(**_values(key)))
            connection.execute(delete(signing_t).where(signing_t.c.retired_at < forget_before))


def _values(key: StoredKey) -> dict[str, object]:
    return {
        "kid": key.kid,
        "private_jwk": key.private_jwk,
        "public_jwk": key.public_jwk,
        "created_at": key.created_at,
        "retired_at": key.retired_at,
    }
