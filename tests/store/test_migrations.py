"""The migrations build exactly the schema the models describe, on this run's backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from recovery_soap.core.admin import DEFAULT_QUESTIONS
from recovery_soap.store import schema
from recovery_soap.store.db import make_engine
from recovery_soap.store.models import Base, QuestionRow, TenantRow


# SQLite cannot reflect expression indexes, so Alembic skips them there (with these warnings);
# tests/store/test_search_indexes.py compares their DDL on SQLite instead.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_models_and_migrations_agree(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert schema.current_revision(engine) == schema.head_revision()
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def test_new_database_has_the_super_tenant_and_default_questions(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            domains = connection.execute(select(TenantRow.domain)).scalars().all()
            assert "carbon.super" in domains
            questions = connection.execute(
                select(QuestionRow.set_id, QuestionRow.question)
                .join(TenantRow, TenantRow.id == QuestionRow.tenant_id)
                .where(TenantRow.domain == "carbon.super")
            ).all()
        assert {(q.set_id, q.question) for q in DEFAULT_QUESTIONS} <= set(questions)
    finally:
        engine.dispose()


def test_upgrading_keeps_existing_rows(tmp_path) -> None:
    """A regression guard: rebuilding a table on SQLite once cascaded deletes to its children."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        schema.upgrade(engine, "0001")
        with engine.connect() as connection:
            before = connection.execute(select(QuestionRow.id)).scalars().all()
        schema.upgrade(engine)
        with engine.connect() as connection:
            after = connection.execute(select(QuestionRow.id)).scalars().all()
        assert before and after == before
    finally:
        engine.dispose()
