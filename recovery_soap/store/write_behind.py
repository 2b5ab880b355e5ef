"""PostgreSQL write-behind: a unit of work's reads run at once, its plain writes go with COMMIT.

Why: a write operation such as verifyUser used to cost five round trips (BEGIN, the read, two
writes, COMMIT), and on a loaded two-core machine each one is a wait the sync worker cannot
overlap. Here the unit of work's connection runs in autocommit until it must hold a transaction:

- A read (a SELECT without FOR UPDATE) with nothing queued runs at once, on its own snapshot.
  Under READ COMMITTED, PostgreSQL's default and the service's, a plain SELECT inside a
  transaction also takes its own snapshot and no row lock, so it sees exactly the same thing.
- A statement marked ``write_behind`` (a write whose result nobody reads: spending and issuing a
  code, an audit row) is queued, rendered by the driver's own client-side quoting.
- Any other statement (a write whose result is read, RETURNING, FOR UPDATE, text, a read after
  a queued write) first opens the transaction: BEGIN and the queued writes go in one round trip,
  with the statement itself when it is marked ``opens_transaction`` (spending a code).
- commit() sends the queued writes and COMMIT as one simple-protocol message: one round trip,
  one transaction (PostgreSQL runs a multi-statement message as one), one commit, with
  ``synchronous_commit`` unchanged. Leaving without commit() sends nothing, or ROLLBACK if the
  transaction was opened.

psycopg's pipeline mode is not used: it lost under load when it was tried (see
docs/performance/write-path.md). Plain blocking simple-protocol messages are what this sends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, Executable, event
from sqlalchemy.sql import Delete, Insert, Select, Update
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.sql.util import find_tables

#: Execution option marking a statement that may wait for COMMIT (its result is never read).
WRITE_BEHIND = "recovery_write_behind"
#: Execution option marking a write whose result is read, which may carry BEGIN with it.
OPENS = "recovery_opens_transaction"
#: Execution option of a multi-statement message whose result is its last statement's.
_LAST_RESULT = "recovery_last_result"
#: Attributes of the wrapped connection that neither execute nor need the transaction open.
_PASSIVE = frozenset(
    {"dialect", "engine", "info", "closed", "invalidated", "close", "get_execution_options"}
)
#: exec_driver_sql without a parameter collection: the driver sends the text as it is.
_AS_IS = {"no_parameters": True}


def write_behind(statement: Any) -> Any:
    """``statement`` marked as a write that may be sent with the unit of work's COMMIT."""
    return statement.execution_options(**{WRITE_BEHIND: True})


def opens_transaction(statement: Any) -> Any:
    """``statement`` (a write whose result is read) marked as one that may be sent together with
    BEGIN: its result is then the last one of that message (see install())."""
    return statement.execution_options(**{OPENS: True})


def install(engine: Engine) -> None:
    """Let a message of several statements answer with its last statement's result (psycopg
    leaves the cursor on the first; SQLAlchemy reads the cursor as it finds it)."""

    @event.listens_for(engine, "do_execute_no_params")
    def _last_result(cursor: Any, statement: str, context: Any) -> bool:
        if not context.execution_options.get(_LAST_RESULT, False):
            return False
        cursor.execute(statement)
        while cursor.nextset():
            pass
        return True


def _is_plain_read(statement: Any) -> bool:
    return isinstance(statement, Select) and statement._for_update_arg is None


def _tables(statement: Any) -> frozenset[str]:
    return frozenset(t.name for t in find_tables(statement, include_crud=True))


def _linked(statement: Any) -> frozenset[str]:
    """The tables a write names, and those joined to them by a foreign key either way (an
    insert may need a queued row; a cascade may reach one)."""
    names: set[str] = set()
    table: Any
    for table in find_tables(statement, include_crud=True):
        if table.name not in _LINKED:
            linked = {table.name, *(key.column.table.name for key in table.foreign_keys)}
            for other in table.metadata.tables.values():
                if any(key.column.table is table for key in other.foreign_keys):
                    linked.add(other.name)
            _LINKED[table.name] = frozenset(linked)
        names |= _LINKED[table.name]
    return frozenset(names)


_LINKED: dict[str, frozenset[str]] = {}


def _is_write(statement: Any) -> bool:
    return isinstance(statement, (Insert, Update, Delete))


class _Rendered:
    """A statement compiled once for the dialect, rendered with values by the driver."""

    def __init__(self, statement: Any, compiled: Compiled) -> None:
        self.tables = _tables(statement)  # what it writes (the tables it names)
        self.sql = compiled.string
        self.compiled = compiled
        self.processors: Mapping[str, Callable[[Any], Any]] = getattr(
            compiled, "_bind_processors", {}
        )

    def values(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        values = dict(self.compiled.construct_params(parameters) or {})
        for name, process in self.processors.items():
            if name in values:
                values[name] = process(values[name])
        return values


_RENDERED: dict[int, tuple[Any, _Rendered]] = {}


def _rendered(statement: Any, connection: Connection) -> _Rendered:
    known = _RENDERED.get(id(statement))
    if known is None or known[0] is not statement:  # the statement object is kept: id stays its
        known = (statement, _Rendered(statement, statement.compile(dialect=connection.dialect)))
        _RENDERED[id(statement)] = known
    return known[1]


class WriteBehindConnection:
    """Stands in for the unit of work's Connection (in autocommit) in the repositories."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection
        self._queue: list[str] = []
        self._written: set[str] = set()  # the tables the queued writes name
        self._open = False
        self._quoter: Any = None

    def execute(self, statement: Executable, parameters: Any = None, **options: Any) -> Any:
        marks = statement.get_execution_options()
        plain = isinstance(parameters, Mapping) and not options
        if marks.get(WRITE_BEHIND, False) and plain:
            self._queue.append(self._render(statement, parameters))
            return None
        if marks.get(OPENS, False) and plain and not self._open:
            return self._open_with(statement, parameters)
        if _is_plain_read(statement) and not (self._queue and self._reads_queued(statement)):
            # in the transaction if it is open; otherwise at once, on its own snapshot
            return self._c.execute(statement, parameters, **options)
        if self._open and _is_write(statement) and self._written.isdisjoint(_linked(statement)):
            # a write whose result is read, on tables no queued write touches: the queued
            # writes may still follow it (the order between unrelated tables shows nowhere)
            return self._c.execute(statement, parameters, **options)
        self._catch_up()
        return self._c.execute(statement, parameters, **options)

    def __getattr__(self, name: str) -> Any:
        if name not in _PASSIVE:  # anything else may execute: the transaction must be open
            self._catch_up()
        return getattr(self._c, name)

    def _catch_up(self) -> None:
        """Before a statement that reads a result: the transaction open, the queue sent (in
        order, so that the statement sees the writes before it)."""
        if not self._open:
            self._begin()
        elif self._queue:
            self._send(self._queue)

    def _reads_queued(self, statement: Any) -> bool:
        """Whether a read names a table a queued write names (it must see that write)."""
        return not self._written.isdisjoint(_tables(statement))

    def _render(self, statement: Any, parameters: Mapping[str, Any]) -> str:
        rendered = _rendered(statement, self._c)
        self._written |= rendered.tables
        if self._quoter is None:
            import psycopg

            driver: Any = self._c.connection.dbapi_connection
            self._quoter = psycopg.ClientCursor(driver)
        return str(self._quoter.mogrify(rendered.sql, rendered.values(parameters)))

    def _open_with(self, statement: Any, parameters: Mapping[str, Any]) -> Any:
        """BEGIN, the queued writes and this statement in one message; its result is this
        statement's."""
        self._open = True
        message = ";\n".join(["BEGIN", *self._queue, self._render(statement, parameters)])
        self._queue = []
        self._written.clear()
        return self._c.exec_driver_sql(message, execution_options={**_AS_IS, _LAST_RESULT: True})

    def _begin(self) -> None:
        """Open the transaction, sending BEGIN with the writes queued so far."""
        self._open = True
        self._send(["BEGIN", *self._queue])

    def commit(self) -> None:
        """The queued writes and COMMIT in one round trip (nothing when there is nothing)."""
        statements = [*self._queue, "COMMIT"] if self._open else self._queue
        self._open = False
        self._send(statements)
        self._c.commit()  # SQLAlchemy's own bookkeeping; the server is idle: nothing is sent

    def rollback(self) -> None:
        self._queue = []
        self._written.clear()
        if self._open:
            self._open = False
            self._c.exec_driver_sql("ROLLBACK", execution_options=_AS_IS)
        self._c.rollback()

    def _send(self, statements: list[str]) -> None:
        self._queue = []
        self._written.clear()
        if statements:
            self._c.exec_driver_sql(";\n".join(statements), execution_options=_AS_IS)
