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


class Turn:
    """One writer's turn: the lock file open and locked (when it could be), the threads' lock
    held (when it could be). Given back from any thread."""

    def __init__(self, queue: WriterQueue, threads_lock: threading.Lock | None, fd: int) -> None:
        self.queue, self.threads_lock, self.fd = queue, threads_lock, fd

    def give_back(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing gives the file lock back
            self.fd = -1
        if self.threads_lock is not None:
            self.threads_lock.release()
            self.threads_lock = None


class WriterQueue:
    """The turn of this process's writers to one database file; safe across fork (a child starts
    with a lock of its own, free).

    Every wait is bounded: after ``patience`` seconds a writer goes on without its turn and
    SQLite's own busy timeout decides, so a turn never given back cannot block the others."""

    def __init__(self, database_path: str, patience: float = 30.0) -> None:
        self.path = f"{database_path}-writers.lock"
        self.patience = patience
        self._pid = os.getpid()
        self._threads = threading.Lock()

    def take(self) -> Turn:
        if self._pid != os.getpid():  # a forked child: the parent's lock state is not ours
            self._pid, self._threads = os.getpid(), threading.Lock()
        threads_lock = self._threads
        if not threads_lock.acquire(timeout=self.patience):
            return Turn(self, None, -1)
        # The file is open only during a turn: no descriptor is kept per database.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        # Polled in steps of 20 µs to 1 ms: a writer's turn rarely lasts longer than that.
        deadline, pause = time.monotonic() + self.patience, 0.00002
        while not _locked(fd):
            if time.monotonic() > deadline:
                os.close(fd)
                return Turn(self, threads_lock, -1)
            time.sleep(pause)
            pause = min(pause * 2, 0.001)
        return Turn(self, threads_lock, fd)


def _locked(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def install(engine: Engine, database_path: str, is_writer: Any) -> None:
    """Take the writers' turn before each write transaction's BEGIN and give it back when the
    transaction ends (commit, rollback, or the connection returned to the pool)."""
    queue = WriterQueue(database_path)

    def done(info: dict[str, Any]) -> None:
        turn = info.pop(_HELD, None)
        if turn is not None:
            turn.give_back()

    @event.listens_for(engine, "begin")
    def _take_turn(connection: Any) -> None:
        if is_writer(connection) and _HELD not in connection.info:
            connection.info[_HELD] = queue.take()

    @event.listens_for(engine, "commit")
    def _after_commit(connection: Any) -> None:
        done(connection.info)

    @event.listens_for(engine, "rollback")
    def _after_rollback(connection: Any) -> None:
        done(connection.info)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        done(record.info)
