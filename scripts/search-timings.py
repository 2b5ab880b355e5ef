#!/usr/bin/env python3
"""Time the directory search filters (SCIM userName and emails eq/sw/co) over a large tenant.

    python scripts/search-timings.py                         # SQLite, 50,000 and 500,000 users
    python scripts/search-timings.py --db postgresql --users 50000
    python scripts/search-timings.py --without-indexes       # the same, indexes of 0005 dropped

Builds a migrated database of its own (a temporary SQLite file, or a PostgreSQL schema dropped
afterwards), fills one tenant with users that each have an e-mail claim (plus a few other
claims, as real profiles have), next to a neighbour tenant of 1,000 such users (the planner's
estimates then reflect a shared table, as in production), runs ANALYZE, and then times
DirectoryRepository.search, one page of 100 as SCIM asks, several times per filter: it prints
the median in milliseconds and the number of matches. Each size is added on top of the
previous one in the same tenant.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, create_engine, insert, text  # noqa: E402

from recovery_soap.core.claims import EMAIL, GIVEN_NAME  # noqa: E402
from recovery_soap.core.model import Match, Tenant, UserCondition, UserField  # noqa: E402
from recovery_soap.store import schema  # noqa: E402
from recovery_soap.store.db import make_engine  # noqa: E402
from recovery_soap.store.directory import DirectoryRepository  # noqa: E402
from recovery_soap.store.models import (  # noqa: E402
    FOLDED_CLAIM_INDEX,
    FOLDED_USERNAME_INDEX,
    ClaimRow,
    TenantRow,
    UserRow,
)

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 1, 1)
BATCH = 10_000
NEIGHBOURS = 1_000
OTHER_CLAIMS = ("http://wso2.org/claims/lastname", "http://wso2.org/claims/telephone")


def filters(users: int) -> list[tuple[str, UserCondition]]:
    """Each filter in another letter case than the stored values: the matching folds case."""
    probe, name, email = users // 2, UserField.USERNAME, UserField.EMAIL
    return [
        ("userName eq", UserCondition(name, Match.EQUALS, f"BIG-user-{probe:07d}")),
        ("userName sw", UserCondition(name, Match.STARTS_WITH, f"big-USER-{probe // 10:06d}")),
        ("userName co", UserCondition(name, Match.CONTAINS, f"{probe:07d}")),
        ("emails eq", UserCondition(email, Match.EQUALS, f"Big-User-{probe:07d}@Example.test")),
        ("emails sw", UserCondition(email, Match.STARTS_WITH, f"BIG-user-{probe // 10:06d}")),
        ("emails co", UserCondition(email, Match.CONTAINS, f"{probe:07d}@")),
    ]


def fill(engine: Engine, tenant: Tenant, start: int, stop: int) -> None:
    users, claims = UserRow.__table__, ClaimRow.__table__
    for low in range(start, stop, BATCH):
        high = min(low + BATCH, stop)
        with engine.begin() as connection:
            connection.execute(
                insert(users),
                [
                    {
                        "tenant_id": tenant.id,
                        "username": f"Big-User-{i:07d}",
                        "password_hash": "x",
                        "created_at": NOW,
                    }
                    for i in range(low, high)
                ],
            )
            rows = connection.execute(
                text(
                    "SELECT id, username FROM users WHERE tenant_id = :t AND username >= :low"
                    " AND username < :high"
                ),
                {"t": tenant.id, "low": f"Big-User-{low:07d}", "high": f"Big-User-{high:07d}"},
            ).all()
            values = [
                {"user_id": r.id, "tenant_id": tenant.id, "claim_uri": uri, "value": value}
                for r in rows
                for uri, value in (
                    (EMAIL, f"{r.username.lower()}@example.test"),
                    (GIVEN_NAME, "Big"),
                    *((uri, "x") for uri in OTHER_CLAIMS),
                )
            ]
            connection.execute(insert(claims), values)


def analyse(engine: Engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE users"))
            connection.execute(text("ANALYZE user_claims"))
        else:
            connection.execute(text("ANALYZE"))


def time_filters(engine: Engine, tenant: Tenant, users: int, repeat: int) -> None:
    with engine.connect() as connection:
        directory = DirectoryRepository(connection)
        for label, condition in filters(users):
            directory.search(tenant, [condition], 0, 100)  # warm the cache
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                total, _ = directory.search(tenant, [condition], 0, 100)
                samples.append((time.perf_counter() - started) * 1000)
            print(f"  {label:<12} {statistics.median(samples):9.2f} ms  ({total} matches)")


def run(engine: Engine, sizes: list[int], repeat: int, without_indexes: bool) -> None:
    schema.upgrade(engine)
    if without_indexes:
        with engine.begin() as connection:
            for index in (FOLDED_USERNAME_INDEX, FOLDED_CLAIM_INDEX):
                connection.execute(text(f"DROP INDEX {index.name}"))
    with engine.begin() as connection:
        tenant_id = connection.execute(
            insert(TenantRow.__table__)
            .values(domain="big.test", created_at=NOW)
            .returning(TenantRow.__table__.c.id)
        ).scalar_one()
    tenant = Tenant(id=tenant_id, domain="big.test")
    with engine.begin() as connection:
        neighbour_id = connection.execute(
            insert(TenantRow.__table__)
            .values(domain="neighbour.test", created_at=NOW)
            .returning(TenantRow.__table__.c.id)
        ).scalar_one()
    fill(engine, Tenant(id=neighbour_id, domain="neighbour.test"), 0, NEIGHBOURS)
    filled = 0
    for size in sorted(sizes):
        started = time.perf_counter()
        fill(engine, tenant, filled, size)
        analyse(engine)
        filled = size
        print(
            f"{engine.dialect.name}, {size:,} users in the tenant "
            f"({'without' if without_indexes else 'with'} the 0005 indexes; "
            f"filled in {time.perf_counter() - started:.0f} s):"
        )
        time_filters(engine, tenant, size, repeat)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=POSTGRES)
    parser.add_argument("--users", type=int, action="append", help="tenant size (repeat)")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per filter")
    parser.add_argument("--without-indexes", action="store_true", help="drop the 0005 indexes")
    args = parser.parse_args()
    sizes = args.users or [50_000, 500_000]
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            engine = make_engine(f"sqlite:///{Path(directory) / 'search.db'}")
            try:
                run(engine, sizes, args.repeat, args.without_indexes)
            finally:
                engine.dispose()
        return 0
    name = f"rs_search_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    separator = "&" if "?" in args.postgres_url else "?"
    engine = make_engine(f"{args.postgres_url}{separator}options=-csearch_path%3D{name}")
    try:
        run(engine, sizes, args.repeat, args.without_indexes)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
