"""Writers to one SQLite file wait their turn in a queue instead of SQLite's busy loop.

SQLite lets one writer in at a time. A second ``BEGIN IMMEDIATE`` finds the lock taken and its
busy handler sleeps 1, 2, 5, 10 ms... before trying again, however soon the lock is free: with
two workers writing, most waits are those sleeps, not the other's work. Here every write
transaction first takes an advisory lock on ``<database>-writers.lock`` (``flock``: the kernel
wakes the next waiter the moment it is released), and a thread lock among the threads of one
process (a process holds ``flock`` once for all of its threads). SQLite's own locking stays the
rule; this only orders the writers that reach it. Processes that do not use it still work.
The turn is given back when the transaction ends (commit or rollback), or at the latest when the
connection returns to the pool.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

from sqlalchemy import Engine, event

_HELD = "recovery_soap.writer_lock_held"


class WriterQueue:
    """The turn of this process's writers to one database file; safe across fork (a child opens
    its own lock file and starts with the lock free).

    The wait is bounded: after ``patience`` seconds a writer goes on without its turn and SQLite's
    own busy timeout decides, so a transaction left open never blocks the others for ever."""

    def __init__(self, database_path: str, patience: float = 30.0) -> None:
        self.path = f"{database_path}-writers.lock"
        self.patience = patience
        self._pid = -1
        self._fd = -1
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._holding = False

    def _ready(self) -> None:
        if self._pid != os.getpid():  # first use in this process, or a forked child
            self._pid, self._thread_lock, self._depth = os.getpid(), threading.RLock(), 0
            self._holding = False
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def _try(self) -> bool:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def acquire(self) -> None:
        self._ready()
        self._thread_lock.acquire()
        if self._depth == 0:
            # Polled in steps of 20 µs to 1 ms: a writer's turn rarely lasts longer than that.
            deadline, pause = time.monotonic() + self.patience, 0.00002
            while not self._try():
                if time.monotonic() > deadline:
                    break
                time.sleep(pause)
                pause = min(pause * 2, 0.001)
            else:
                self._holding = True
        self._depth += 1

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._holding:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._holding = False
        self._thread_lock.release()


def install(engine: Engine, database_path: str, is_writer: Any) -> None:
    """Take the writers' turn before each write transaction's BEGIN and give it back when the
    transaction ends (commit, rollback, or the connection returned to the pool)."""
    queue = WriterQueue(database_path)

    def done(info: dict[str, Any]) -> None:
        if info.pop(_HELD, False):
            queue.release()

    @event.listens_for(engine, "begin")
    def _take_turn(connection: Any) -> None:
        if is_writer(connection) and not connection.info.get(_HELD):
            queue.acquire()
            connection.info[_HELD] = True

    @event.listens_for(engine, "commit")
    def _after_commit(connection: Any) -> None:
        done(connection.info)

    @event.listens_for(engine, "rollback")
    def _after_rollback(connection: Any) -> None:
        done(connection.info)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        done(record.info)
