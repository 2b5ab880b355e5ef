"""Fixtures of the import tests: a database of their own, for counts over the whole store."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from recovery_soap.store import schema
from recovery_soap.store.db import make_engine
from tests.conftest import BACKEND, FAST_HASH, _postgres_schema_url


@contextlib.contextmanager
def new_database(tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database of the run's backend (a SQLite file or a PostgreSQL schema),
    dropped afterwards."""
    urls = _postgres_schema_url() if BACKEND == "postgresql" else None
    url = next(urls) if urls is not None else f"sqlite:///{tmp_path / uuid.uuid4().hex}.db"
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        if urls is not None:
            for _ in urls:
                pass


def make_target(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Point the CLI at ``url``, with the run's fast hash parameters."""
    monkeypatch.setenv("RECOVERY_DATABASE_URL", url)
    monkeypatch.setenv("RECOVERY_ARGON2_MEMORY_KIB", str(FAST_HASH["argon2_memory_kib"]))
    monkeypatch.setenv("RECOVERY_ARGON2_TIME_COST", str(FAST_HASH["argon2_time_cost"]))


@pytest.fixture
def fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty, migrated database of the run's backend, made the CLI's target."""
    with new_database(tmp_path) as url:
        make_target(monkeypatch, url)
        yield url


MARIADB_URL = os.environ.get("RECOVERY_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306")


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A MariaDB/MySQL database of this test's own (skipped without a server, except under
    CI=true, where a missing server fails)."""
    name = f"wso2_{uuid.uuid4().hex[:10]}"
    admin = create_engine(MARIADB_URL, connect_args={"connect_timeout": 5})
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    except Exception as exc:  # noqa: BLE001 - any failure means no usable server
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"MariaDB is required under CI=true: {exc}")
        pytest.skip(f"MariaDB not reachable: {exc}")
    try:
        yield f"{MARIADB_URL}/{name}?charset=utf8mb4"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP DATABASE `{name}`"))
        admin.dispose()


@pytest.fixture
def postgres_source_url() -> Iterator[str]:
    """A PostgreSQL schema of this test's own, for a WSO2 store (skips like the backend)."""
    urls = _postgres_schema_url()
    yield next(urls)
    for _ in urls:
        pass
