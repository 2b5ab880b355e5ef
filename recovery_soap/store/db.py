"""Engines from settings (never at import time), with SQLite set up for concurrent use."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, NoSuchModuleError

from recovery_soap.config import SettingsError
from recovery_soap.core.errors import Unavailable
from recovery_soap.store import sqlite_writers

#: A database as the rest of the product holds it (built here, used only through store/).
Database = Engine

#: The extra that installs each dialect's driver, for the one-line error when it is missing.
DRIVER_EXTRAS = {"postgresql": "postgres"}

#: Execution option marking a connection whose transaction only reads.
READONLY = "recovery_readonly"
#: A pooled connection idle for longer than this is pinged before use. A busy pool is not: a
#: connection that died under load fails its statement, and the pool then replaces every
#: connection it holds (SQLAlchemy invalidates the pool on a disconnect error).
IDLE_PING_SECONDS = 10.0


def readonly_options(connection: Any) -> dict[str, Any]:
    """Execution options of a read-only unit of work. It runs in autocommit: under PostgreSQL's
    READ COMMITTED every statement takes its own snapshot anyway, and BEGIN and ROLLBACK would
    cost two round trips (SQLite: see the begin hook in make_engine)."""
    if connection.dialect.name == "postgresql":
        return {READONLY: True, "isolation_level": "AUTOCOMMIT"}
    return {READONLY: True}


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url``; a URL naming no known database, or a driver that is not installed,
    is a configuration error saying what to do (not a traceback)."""
    try:
        return _make_engine(url, **options)
    except (ArgumentError, NoSuchModuleError):
        scheme = url.partition("://")[0] or url
        raise SettingsError(
            f"database_url: {scheme!r} is not a database URL this service can use "
            "(sqlite:///FILE or postgresql+psycopg://USER@HOST/DB)"
        ) from None
    except ModuleNotFoundError as error:
        backend = url.partition("://")[0].partition("+")[0]
        extra = DRIVER_EXTRAS.get(backend)
        fix = f"pip install 'recovery-soap[{extra}]'" if extra else f"pip install {error.name}"
        raise SettingsError(
            f"database_url needs the {error.name} driver, which is not installed: {fix}"
        ) from None


def opened(engine: Engine) -> Engine:
    """``engine`` once a first connection works; otherwise Unavailable with the driver's reason
    in one line (an unwritable SQLite path, a refused connection, a wrong password)."""
    try:
        with engine.connect():
            pass
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        engine.dispose()
        raise Unavailable(f"the database could not be opened: {reason}") from None
    return engine


def ping(engine: Engine) -> None:
    """One round trip to the database: returns when it answers, raises the driver's error when
    it does not (readiness and ``recovery-soap doctor`` report it)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def backend_name(engine: Engine) -> str:
    """The database's kind, in the operator's words (sqlite, postgresql)."""
    return str(engine.dialect.name)


def _make_engine(url: str, **options: Any) -> Engine:
    """SQLite gets WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE, so that writers queue
    for the lock instead of failing when a read turns into a write."""
    # Bound parameters (codes in message bodies, hashes) never appear in errors or logs.
    options.setdefault("hide_parameters", True)
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"timeout": 30}, **options)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        def is_writer(connection: Any) -> bool:
            return not connection.get_execution_options().get(READONLY, False)

        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            # Registered first, so a writer has its turn before BEGIN IMMEDIATE asks SQLite.
            sqlite_writers.install(engine, path, is_writer)

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            # Writers take the write lock up front (no deadlock on upgrade). Readers take none
            # and run in autocommit, each statement on its own snapshot, as on PostgreSQL.
            if is_writer(connection):
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No pre-ping round trip on every checkout: only connections idle for a while are pinged.
    options.setdefault("pool_pre_ping", False)
    options.setdefault("pool_size", 5)
    options.setdefault("max_overflow", 10)
    options.setdefault("pool_timeout", 5)
    options.setdefault("connect_args", {"connect_timeout": 5})
    engine = create_engine(url, **options)
    _ping_when_idle(engine, IDLE_PING_SECONDS)
    if engine.dialect.driver == "psycopg":  # hook: BEGIN sent with a write (store/write_behind.py)
        from recovery_soap.store.write_behind import install

        install(engine)
    return engine


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a connection on checkout only when it has been idle longer than ``idle_seconds``
    (a restarted server, a firewall's idle timeout); a failed ping makes the pool retry with a
    fresh connection."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["recovery_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("recovery_idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure: this connection is gone
            raise DisconnectionError("stale pooled connection") from exc
