"""A fresh migrated database for one run, and its seeded users (bulk Core inserts)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from tools.bench.envelopes import EMAIL_CLAIM, GIVEN_CLAIM, SUPER_TENANT, user_name


class Database:
    """A fresh migrated database: a temporary SQLite file or a PostgreSQL schema of its own."""

    def __init__(self, kind: str, workdir: Path, postgres_url: str) -> None:
        from sqlalchemy import create_engine, text

        self.kind = kind
        self.schema: str | None = None
        self._admin = None
        if kind == "sqlite":
            self.url = f"sqlite:///{workdir / 'bench.db'}"
        else:
            self.schema = f"bench_{secrets.token_hex(5)}"
            self._admin = create_engine(postgres_url, connect_args={"connect_timeout": 5})
            with self._admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            separator = "&" if "?" in postgres_url else "?"
            self.url = f"{postgres_url}{separator}options=-csearch_path%3D{self.schema}"
        # `recovery-soap db upgrade`, as an operator would run it (PostgreSQL needs it; SQLite
        # would migrate itself on start, but not with two workers racing to do it).
        try:
            subprocess.run(
                [sys.executable, "-m", "recovery_soap.cli", "db", "upgrade"],
                env={**os.environ, "RECOVERY_DATABASE_URL": self.url},
                check=True,
                stdout=subprocess.DEVNULL,
            )
        except BaseException:
            self._drop_schema()
            raise
        from recovery_soap.store.db import make_engine

        self.engine = make_engine(self.url)

    def drop(self) -> None:
        self.engine.dispose()
        self._drop_schema()

    def _drop_schema(self) -> None:
        from sqlalchemy import text

        if self._admin is not None and self.schema:
            with self._admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            self._admin.dispose()


def seed_users(
    engine: Any,
    start: int,
    stop: int,
    password_hash: str,
    batch: int = 20_000,
    progress: bool = False,
) -> float:
    """Users start..stop-1 (names u0000001...), confirmed and unlocked, each with an e-mail and a
    given-name claim, by Core inserts straight into the tables. Returns the seconds it took."""
    from sqlalchemy import Table, and_, insert, literal, select

    from recovery_soap.store.models import ClaimRow, TenantRow, UserRow

    users, claims, tenants = (cast(Table, row.__table__) for row in (UserRow, ClaimRow, TenantRow))
    began = time.perf_counter()
    with engine.begin() as connection:
        tenant_id = connection.execute(
            select(tenants.c.id).where(tenants.c.domain == SUPER_TENANT)
        ).scalar_one()
    now = datetime.now(UTC).replace(tzinfo=None)
    for first in range(start, stop, batch):
        last = min(first + batch, stop)
        with engine.begin() as connection:
            connection.execute(
                insert(users),
                [
                    {
                        "tenant_id": tenant_id,
                        "username": user_name(i),
                        "password_hash": password_hash,
                        "locked": False,
                        "pending_confirmation": False,
                        "created_at": now,
                    }
                    for i in range(first, last)
                ],
            )
            # The claims of the batch straight from the rows just written (ids assigned there).
            batch_users = and_(
                users.c.tenant_id == tenant_id,
                users.c.username.between(user_name(first), user_name(last - 1)),
            )
            for uri, value in (
                (EMAIL_CLAIM, users.c.username + literal("@bench.test")),
                (GIVEN_CLAIM, literal("Bench")),
            ):
                connection.execute(
                    insert(claims).from_select(
                        ["user_id", "tenant_id", "claim_uri", "value"],
                        select(users.c.id, users.c.tenant_id, literal(uri), value).where(
                            batch_users
                        ),
                    )
                )
        if progress and (last - start) // 200_000 > (first - start) // 200_000:
            print(f"  seeded {last - 1:,} users ({time.perf_counter() - began:.0f} s)", flush=True)
    settle(engine)
    return time.perf_counter() - began


def settle(engine: Any) -> None:
    """Let the database finish what a bulk load leaves behind before anything is measured: the
    planner's statistics, and on PostgreSQL the vacuum the inserts trigger and the checkpoint
    their WAL forces (either would otherwise run during the measurement and show up as the
    large database's latency). SQLite: statistics and a WAL checkpoint."""
    from sqlalchemy import text

    if engine.dialect.name != "postgresql":
        raw = engine.raw_connection()  # outside any transaction (the engine's own BEGIN hook)
        try:
            raw.driver_connection.execute("ANALYZE")
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE) users, user_claims"))
        try:
            connection.execute(text("CHECKPOINT"))
        except Exception as exc:  # noqa: BLE001 - needs superuser or pg_checkpoint
            print(f"  (no CHECKPOINT after seeding: {type(exc).__name__})", flush=True)
