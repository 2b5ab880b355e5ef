"""The measuring pass's application: serves the application named in BENCH_COUNTED_APP and adds
to each answer what the request cost the database, counted from the driver (headers
X-Bench-Statements and X-Bench-Round-Trips). Served with one worker, never under timed load;
only the gunicorn serving it imports it, since importing it hooks every engine of the process.

PostgreSQL: libpq's protocol trace of every pooled connection (psycopg ``pgconn.trace``); a
statement is a frontend Query or Sync message, a round trip a turn from sending to receiving.
SQLite: sqlite3's trace callback, one per statement executed (a round trip is a statement)."""

from __future__ import annotations

import ctypes
import importlib
import os
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from tools.bench.tracing import ROUND_TRIPS_HEADER, STATEMENTS_HEADER, Trace

APP_VARIABLE = "BENCH_COUNTED_APP"
TRACE_DIR_VARIABLE = "BENCH_TRACE_DIR"


_traces: list[Trace] = []
_sqlite_statements = [0]
_libc = ctypes.CDLL(None)


def _count_sqlite(_statement: str) -> None:
    _sqlite_statements[0] += 1


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    if hasattr(dbapi_connection, "pgconn"):
        _traces.append(Trace(dbapi_connection.pgconn, os.environ.get(TRACE_DIR_VARIABLE)))
    elif hasattr(dbapi_connection, "set_trace_callback"):
        dbapi_connection.set_trace_callback(_count_sqlite)


def _totals() -> tuple[int, int]:
    _libc.fflush(None)  # libpq writes its trace through a buffered FILE
    statements = turns = 0
    for trace in _traces:
        more, round_trips = trace.read()
        statements, turns = statements + more, turns + round_trips
    return statements + _sqlite_statements[0], turns + _sqlite_statements[0]


_app: Callable[..., Iterable[bytes]] | None = None


def _inner() -> Callable[..., Iterable[bytes]]:
    global _app
    if _app is None:
        module, _, name = os.environ.get(APP_VARIABLE, "recovery_soap.app:application").partition(
            ":"
        )
        _app = getattr(importlib.import_module(module), name or "application")
    return _app


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The counted application's answer, complete, with the cost of producing it."""
    before = _totals()
    answer: dict[str, Any] = {}

    def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answer.update(status=status, headers=list(headers))
        return lambda data: None

    chunks = _inner()(environ, keep)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    after = _totals()
    headers = answer["headers"] + [
        (STATEMENTS_HEADER, str(after[0] - before[0])),
        (ROUND_TRIPS_HEADER, str(after[1] - before[1])),
    ]
    start_response(answer["status"], headers)
    return [body]
