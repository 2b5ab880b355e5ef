"""Case-insensitive directory search is answered from the indexes of migration 0005 (the plans
the database chooses, after ANALYZE, for the very statements the repository runs), and the
rewritten conditions keep their results: case folded, wildcards literal, tenants apart."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, text
from sqlalchemy.schema import CreateIndex

from recovery_soap.core.claims import EMAIL
from recovery_soap.core.model import Match, Tenant, UserCondition, UserField
from recovery_soap.store.db import make_engine
from recovery_soap.store.directory import DirectoryRepository, prefix_successor
from recovery_soap.store.models import FOLDED_CLAIM_INDEX, FOLDED_USERNAME_INDEX, Base
from tests.conftest import BACKEND, unique

USERS = 10_000
NOW = datetime(2026, 1, 1)


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _new_tenant(engine: Engine) -> Tenant:
    tenants = Base.metadata.tables["tenants"]
    with engine.begin() as connection:
        domain = f"{unique('search')}.test"
        tenant_id = connection.execute(
            insert(tenants).values(domain=domain, created_at=NOW).returning(tenants.c.id)
        ).scalar_one()
    return Tenant(id=tenant_id, domain=domain)


def _address(name: str) -> str:
    return f"{name.swapcase()}@Example.TEST"


def _fill(engine: Engine, tenant: Tenant, names: list[str]) -> None:
    """Users with these names, each with an e-mail address in another case than its name."""
    users, claims = Base.metadata.tables["users"], Base.metadata.tables["user_claims"]
    with engine.begin() as connection:
        connection.execute(
            insert(users),
            [
                {"tenant_id": tenant.id, "username": n, "password_hash": "x", "created_at": NOW}
                for n in names
            ],
        )
        ids = connection.execute(
            text("SELECT id, username FROM users WHERE tenant_id = :t"), {"t": tenant.id}
        ).all()
        connection.execute(
            insert(claims),
            [
                {
                    "user_id": row.id,
                    "tenant_id": tenant.id,
                    "claim_uri": EMAIL,
                    "value": _address(row.username),
                }
                for row in ids
            ],
        )


@pytest.fixture(scope="module")
def crowded(engine: Engine) -> Tenant:
    """A tenant of USERS users, analysed, so that a plan reflects a real choice: with a few
    thousand, PostgreSQL may rightly prefer reading the small users table to joining by id."""
    tenant = _new_tenant(engine)
    _fill(engine, tenant, [f"Crowd-User-{i:05d}" for i in range(USERS)])
    with engine.begin() as connection:
        if BACKEND == "postgresql":
            connection.execute(text("ANALYZE users"))
            connection.execute(text("ANALYZE user_claims"))
        else:
            connection.execute(text("ANALYZE"))
    return tenant


def _search(engine: Engine, tenant: Tenant, *conditions: UserCondition) -> set[str]:
    with engine.connect() as connection:
        _, entries = DirectoryRepository(connection).search(tenant, conditions, 0, 1000)
    return {entry.user.username for entry in entries}


def _plans(engine: Engine, tenant: Tenant, condition: UserCondition) -> list[str]:
    """The plan of every statement a search runs with the condition (its count and its page;
    not the read of the page's claims)."""
    with engine.connect() as connection:
        statements: list[tuple[str, Any]] = []

        def capture(conn, cursor, statement, parameters, context, executemany) -> None:
            if "lower(" in statement:
                statements.append((statement, parameters))

        event.listen(connection, "before_cursor_execute", capture)
        try:
            DirectoryRepository(connection).search(tenant, [condition], 0, 10)
        finally:
            event.remove(connection, "before_cursor_execute", capture)
        postgresql = engine.dialect.name == "postgresql"
        explain = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
        plans = []
        for statement, parameters in statements:
            rows = connection.exec_driver_sql(explain + statement, parameters).all()
            plans.append("\n".join(" ".join(str(c) for c in row) for row in rows))
    return plans


INDEXED = [
    pytest.param(UserField.USERNAME, Match.EQUALS, "crowd-user-00123", id="userName eq"),
    pytest.param(UserField.USERNAME, Match.STARTS_WITH, "CROWD-USER-0012", id="userName sw"),
    pytest.param(UserField.EMAIL, Match.EQUALS, "cROWD-uSER-00123@example.test", id="emails eq"),
    pytest.param(UserField.EMAIL, Match.STARTS_WITH, "crowd-user-0012", id="emails sw"),
]


def _full_scans(engine: Engine, plan: str) -> list[str]:
    if engine.dialect.name == "postgresql":
        return re.findall(r"Seq Scan on (users|user_claims)\b", plan)
    # SQLite: "SCAN users" reads every row; "SEARCH ... USING INDEX" looks up.
    return re.findall(r"\bSCAN (users|user_claims)\b", plan)


@pytest.mark.parametrize(("field", "match", "value"), INDEXED)
def test_case_insensitive_filters_are_index_lookups(
    engine: Engine, crowded: Tenant, field: UserField, match: Match, value: str
) -> None:
    condition = UserCondition(field, match, value)
    index = (FOLDED_USERNAME_INDEX if field is UserField.USERNAME else FOLDED_CLAIM_INDEX).name
    plans = _plans(engine, crowded, condition)
    assert len(plans) == 2  # the count and the page
    for plan in plans:
        assert index in plan, plan
        assert _full_scans(engine, plan) == [], plan
    expected = 1 if match is Match.EQUALS else 10
    assert len(_search(engine, crowded, condition)) == expected


def test_contains_is_still_answered_but_not_from_a_lookup(engine: Engine, crowded: Tenant) -> None:
    """co has no prefix to look up (documented as a pass over the tenant's rows)."""
    condition = UserCondition(UserField.USERNAME, Match.CONTAINS, "USER-0299")
    assert _search(engine, crowded, condition) == {f"Crowd-User-0299{i}" for i in range(10)}


# Names whose prefixes probe the range the rewrite adds on SQLite: wildcards, the edges of the
# code point order (U+D7FF before the surrogates, U+10FFFF last), and a neighbour just past it.
TRICKY = [
    "Ab%c",
    "AB_c",
    "abXc",
    "ab",
    "abc",
    "abd",
    "ab\\d",
    "ab\ud7ff1",
    "ab\ue0002",
    "ab\U0010ffff3",
    "ab\U0010ffff\U0010ffff",
    "ac",
    "a",
]


@pytest.mark.parametrize(
    "prefix", ["ab", "AB%", "ab_", "Ab\\", "ab\ud7ff", "ab\U0010ffff", "\U0010ffff", "a", "zz"]
)
@pytest.mark.parametrize("field", [UserField.USERNAME, UserField.EMAIL])
def test_starts_with_matches_the_literal_prefix_in_any_case(
    engine: Engine, tricky: Tenant, prefix: str, field: UserField
) -> None:
    stored = {n: n if field is UserField.USERNAME else _address(n) for n in TRICKY}
    expected = {n for n, value in stored.items() if value.lower().startswith(prefix.lower())}
    condition = UserCondition(field, Match.STARTS_WITH, prefix)
    assert _search(engine, tricky, condition) == expected


@pytest.fixture(scope="module")
def tricky(engine: Engine) -> Tenant:
    tenant = _new_tenant(engine)
    _fill(engine, tenant, TRICKY)
    return tenant


def test_equality_and_prefix_stay_within_the_tenant(engine: Engine, tricky: Tenant) -> None:
    other = _new_tenant(engine)
    _fill(engine, other, ["abc", "ABD"])
    assert _search(engine, tricky, UserCondition(UserField.USERNAME, Match.EQUALS, "ABC")) == {
        "abc"
    }
    assert _search(engine, other, UserCondition(UserField.USERNAME, Match.STARTS_WITH, "ab")) == {
        "abc",
        "ABD",
    }


@pytest.mark.parametrize(
    ("prefix", "successor"),
    [
        ("ab", "ac"),
        ("a\ud7ff", "a\ue000"),
        ("a\U0010ffff", "b"),
        ("\U0010ffff\U0010ffff", None),
        ("", None),
    ],
)
def test_prefix_successor_is_the_least_string_above_the_prefixed_ones(
    prefix: str, successor: str | None
) -> None:
    assert prefix_successor(prefix) == successor


@pytest.mark.skipif(BACKEND != "sqlite", reason="Alembic compares expression indexes elsewhere")
def test_sqlite_indexes_are_the_declared_ones(engine: Engine) -> None:
    """Alembic cannot reflect expression indexes on SQLite: compare the DDL text instead."""
    with engine.connect() as connection:
        for index in (FOLDED_USERNAME_INDEX, FOLDED_CLAIM_INDEX):
            stored = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :n"),
                {"n": index.name},
            ).scalar_one()
            declared = str(CreateIndex(index).compile(dialect=engine.dialect))
            assert " ".join(stored.split()) == " ".join(declared.split())


def test_0005_indexes_existing_users_and_downgrades(tmp_path) -> None:
    """Users stored before 0005 are found through its indexes; a downgrade drops only them."""
    from alembic import command

    from recovery_soap.store import schema

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        schema.upgrade(engine, "0004")
        tenant = _new_tenant(engine)
        _fill(engine, tenant, ["Before-0005"])
        schema.upgrade(engine)
        found = UserCondition(UserField.EMAIL, Match.EQUALS, "bEFORE-0005@example.test")
        assert _search(engine, tenant, found) == {"Before-0005"}
        assert FOLDED_CLAIM_INDEX.name in "\n".join(_plans(engine, tenant, found))
        config = schema._config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        with engine.connect() as connection:
            names = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'index'")
            ).scalars()
            assert not {FOLDED_USERNAME_INDEX.name, FOLDED_CLAIM_INDEX.name} & set(names)
        # The store reads the columns of the newest revision: back at head, the users are kept.
        schema.upgrade(engine)
        assert _search(engine, tenant, found) == {"Before-0005"}
    finally:
        engine.dispose()


@pytest.mark.skipif(BACKEND != "postgresql", reason="operator classes are PostgreSQL's")
def test_postgresql_indexes_look_prefixes_up_under_any_collation(engine: Engine) -> None:
    """text_pattern_ops: a LIKE prefix is an index range even where the collation is not C."""
    with engine.connect() as connection:
        for index in (FOLDED_USERNAME_INDEX, FOLDED_CLAIM_INDEX):
            definition = connection.execute(
                # this run's schema only: other runs' schemas hold indexes of the same name
                text(
                    "SELECT indexdef FROM pg_indexes"
                    " WHERE indexname = :n AND schemaname = current_schema()"
                ),
                {"n": index.name},
            ).scalar_one()
            assert "text_pattern_ops" in definition and "lower((" in definition
