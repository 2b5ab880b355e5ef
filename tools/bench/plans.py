"""Query plans of the statements verifyUser and the catalogue read run (the store's own
statement objects, from its public ``hot_statements``), each with whether it uses an index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tools.bench.envelopes import ACCOUNT, SUPER_TENANT, user_name


def _statements(engine: Any) -> dict[str, tuple[Any, dict[str, Any]]]:
    from sqlalchemy import select

    from recovery_soap.store.hot_statements import hot_statements
    from recovery_soap.store.models import CodeRow, ServiceAccountRow, TenantRow

    codes, accounts, tenants = CodeRow.__table__, ServiceAccountRow.__table__, TenantRow.__table__
    with engine.connect() as connection:
        tenant_id = connection.execute(
            select(tenants.c.id).where(tenants.c.domain == SUPER_TENANT)
        ).scalar_one()
        code_hash = connection.execute(select(codes.c.code_hash).limit(1)).scalar() or "0" * 64
    statements = hot_statements(
        engine.dialect.name,
        tenant_id=tenant_id,
        user_name=user_name(1),
        code_hash=code_hash,
        now=datetime(2026, 1, 1),
    )
    statements["service account by name (a login, cached for a few seconds)"] = (
        select(accounts, tenants.c.domain)
        .join(tenants, tenants.c.id == accounts.c.tenant_id)
        .where(accounts.c.name == ACCOUNT),
        {},
    )
    return statements


def _uses_index(postgres: bool, lines: list[str]) -> bool:
    plan = "\n".join(lines)
    if postgres:
        return (
            "Index" in plan and "Seq Scan on users" not in plan and "Seq Scan on codes" not in plan
        )
    return all(("USING" in line or "SCAN" not in line) for line in lines) and any(
        "USING" in line for line in lines
    )


def explain_lookups(engine: Any) -> list[dict[str, Any]]:
    """EXPLAIN (PostgreSQL) or EXPLAIN QUERY PLAN (SQLite) of each hot statement."""
    postgres = engine.dialect.name == "postgresql"
    plans = []
    with engine.connect() as connection:
        for name, (statement, values) in _statements(engine).items():
            compiled = statement.compile(dialect=engine.dialect)
            params = compiled.construct_params(values)
            bound: Any = (
                tuple(params[key] for key in compiled.positiontup or ())
                if compiled.positional
                else params
            )
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            rows = connection.exec_driver_sql(prefix + compiled.string, bound).all()
            lines = [row[0] for row in rows] if postgres else [str(row[-1]) for row in rows]
            plans.append(
                {
                    "lookup": name,
                    "sql": " ".join(compiled.string.split()),
                    "plan": "\n".join(lines),
                    "uses_index": _uses_index(postgres, lines),
                }
            )
            connection.rollback()  # the writes are only explained, never run
    return plans
