"""Fixtures of the import tests: a database of their own, for counts over the whole store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from recovery_soap.store import schema
from recovery_soap.store.db import make_engine
from tests.conftest import BACKEND, FAST_HASH, _postgres_schema_url


@pytest.fixture
def fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty, migrated database of the run's backend, made the CLI's target."""
    urls = _postgres_schema_url() if BACKEND == "postgresql" else None
    url = next(urls) if urls is not None else f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("RECOVERY_DATABASE_URL", url)
    monkeypatch.setenv("RECOVERY_ARGON2_MEMORY_KIB", str(FAST_HASH["argon2_memory_kib"]))
    monkeypatch.setenv("RECOVERY_ARGON2_TIME_COST", str(FAST_HASH["argon2_time_cost"]))
    yield url
    if urls is not None:
        for _ in urls:
            pass
