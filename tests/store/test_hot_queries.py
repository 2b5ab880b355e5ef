"""The statements on the hot paths (built once, fewer round trips) keep their meaning, on this
run's backend: issuing a code spends exactly the older live codes of its purpose, the guard
state read with the user is the stored one, read-only work needs no transaction, an idle
pooled connection that died is replaced, and a worker on a current schema never loads Alembic."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from recovery_soap.core.model import GuardState, NewCode, Purpose, Step, Tenant
from recovery_soap.store import schema
from recovery_soap.store.db import make_engine
from recovery_soap.store.models import CodeRow
from recovery_soap.store.uow import uow_factory
from tests.conftest import BACKEND, unique

NOW = datetime(2026, 1, 1, 12, 0, 0)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _tenant(uow) -> Tenant:
    tenant = uow.tenants.by_domain("carbon.super")
    assert tenant is not None
    return tenant


def _new_user(uow):
    return uow.users.add(_tenant(uow), unique(), "x", locked=False, pending=False, now=NOW)


def _code(user, step: Step, at: datetime) -> NewCode:
    return NewCode(
        tenant_id=user.tenant.id,
        user_id=user.id,
        step=step,
        code_hash=unique("hash"),
        created_at=at,
        expires_at=at + timedelta(minutes=10),
        proof=frozenset({"mailbox", "q1"}),
        subject="s",
    )


def test_replacing_a_code_spends_only_older_live_codes_of_its_purpose(engine) -> None:
    with uow_factory(engine)() as uow:
        user, other = _new_user(uow), _new_user(uow)
        first = _code(user, Step.USER_VERIFIED, NOW)
        signup = _code(user, Step.SIGNUP_MAILED, NOW)
        elsewhere = _code(other, Step.USER_VERIFIED, NOW)
        for code in (first, signup, elsewhere):
            uow.codes.add(code)
        later = NOW + timedelta(seconds=5)
        second = _code(user, Step.CODE_MAILED, later)
        uow.codes.replace(second)
        rows = {
            r.code_hash: r
            for r in uow.connection.execute(
                select(CodeRow).where(CodeRow.user_id.in_([user.id, other.id]))
            )
        }
        uow.commit()
    assert rows[first.code_hash].used_at == later  # same purpose (recovery): spent
    assert rows[signup.code_hash].used_at is None  # another purpose
    assert rows[elsewhere.code_hash].used_at is None  # another user
    new = rows[second.code_hash]
    assert new.used_at is None  # the new code is not spent with the others
    assert (new.step, new.purpose, new.tenant_id, new.subject) == (
        Step.CODE_MAILED.value,
        Purpose.RECOVERY.value,
        user.tenant.id,
        "s",
    )
    assert set(new.proof.split("\n")) == {"mailbox", "q1"}
    assert new.expires_at == later + timedelta(minutes=10)


def test_guard_state_read_with_the_user_is_the_stored_one(engine) -> None:
    factory = uow_factory(engine)
    with factory() as uow:
        user = _new_user(uow)
        uow.guards.record_failure(user, NOW, timedelta(hours=1))
        uow.guards.lock(user, NOW + timedelta(minutes=30))
        uow.commit()
    with factory() as uow:
        assert uow.guards.state(user) == GuardState(
            failures=0, locked_until=NOW + timedelta(minutes=30), window_started_at=NOW
        )
    with factory() as uow:
        found = uow.users.get(user.tenant, user.username)
        assert found is not None
        assert uow.guards.state(found) == GuardState(
            failures=0, locked_until=NOW + timedelta(minutes=30), window_started_at=NOW
        )
        # Written in the same transaction: the next read sees the write, not the early read.
        state = uow.guards.record_failure(found, NOW + timedelta(minutes=1), timedelta(hours=1))
        assert state.failures == 1
        assert uow.guards.state(found) == state
        uow.guards.clear(found)
        assert uow.guards.state(found) is None


def test_a_user_without_guard_row_has_no_guard_state(engine) -> None:
    with uow_factory(engine)() as uow:
        user = _new_user(uow)
        uow.commit()
    with uow_factory(engine)() as uow:
        found = uow.users.get(user.tenant, user.username)
        assert found is not None and uow.guards.state(found) is None


def _in_transaction(uow) -> bool:
    driver = uow.connection.connection.driver_connection
    if BACKEND == "postgresql":
        from psycopg import pq

        return driver.info.transaction_status != pq.TransactionStatus.IDLE
    return bool(driver.in_transaction)


def test_read_only_work_runs_without_a_transaction(engine) -> None:
    with uow_factory(engine)(readonly=True) as uow:
        assert uow.questions.for_tenant(_tenant(uow))
        assert not _in_transaction(uow)
    with uow_factory(engine)() as uow:
        _tenant(uow)
        assert _in_transaction(uow)  # writers: one transaction each


@pytest.mark.skipif(BACKEND != "postgresql", reason="needs a server that can drop a connection")
def test_an_idle_pooled_connection_that_died_is_replaced(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin = make_engine(database_url)
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        pooled = engine.pool._pool.queue[0]  # type: ignore[attr-defined]
        pooled.info["recovery_idle_since"] = time.monotonic() - 3600  # idle for an hour
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        engine.dispose()


def test_shipped_head_is_alembics_head() -> None:
    assert schema.shipped_head() == schema.head_revision()


def test_a_worker_on_a_current_database_loads_neither_alembic_nor_unused_libraries(
    database_url: str,
) -> None:
    """Memory: Alembic, Pillow, Jinja2 and Werkzeug cost a worker ~20 MB, and a worker
    answering SOAP calls needs none of them until it migrates, draws a captcha, renders a mail
    or serves a REST request."""
    probe = f"""
import sys
from recovery_soap.app import create_app
from recovery_soap.config import Settings
app = create_app(Settings(database_url={database_url!r}, secret_key="k" * 32,
                          argon2_memory_kib=1024, argon2_time_cost=1))
loaded = [m for m in ("alembic", "PIL", "captcha", "jinja2", "werkzeug") if m in sys.modules]
print(",".join(loaded))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == ""
