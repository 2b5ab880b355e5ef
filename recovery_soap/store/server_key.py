"""The server key behind every keyed hash: from settings, else generated once and kept in the
database so every worker on every machine uses the same one."""

from __future__ import annotations

import base64
from typing import cast

from sqlalchemy import Engine, Table, insert, select
from sqlalchemy.exc import IntegrityError

from recovery_soap.core.code_secrets import new_secret
from recovery_soap.store.models import ServerKeyRow

KEY_NAME = "hmac"
keys_t = cast(Table, ServerKeyRow.__table__)


def server_key(engine: Engine, configured: str = "") -> bytes:
    if configured:
        return configured.encode()
    with engine.connect() as connection:
        value = connection.execute(
            select(keys_t.c.value).where(keys_t.c.name == KEY_NAME)
        ).scalar_one_or_none()
        if value is None:
            try:
                connection.execute(insert(keys_t).values(name=KEY_NAME, value=new_secret()))
                connection.commit()
            except IntegrityError:  # another worker stored one first: use theirs
                connection.rollback()
            value = connection.execute(
                select(keys_t.c.value).where(keys_t.c.name == KEY_NAME)
            ).scalar_one()
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
