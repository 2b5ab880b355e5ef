"""SQLite writers take turns through a lock file instead of SQLite's sleeping busy loop, and
give the turn back when their transaction ends (store/sqlite_writers.py)."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from recovery_soap.store.db import make_engine
from recovery_soap.store.sqlite_writers import WriterQueue


def turn_is_taken(lock_path: str) -> bool:
    """Whether a writer holds the turn (tried from a separate open file, as another process)."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@pytest.fixture
def database(tmp_path: Path) -> tuple[object, str]:
    path = tmp_path / "writers.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine, f"{path}-writers.lock"
    engine.dispose()


def test_a_write_transaction_holds_the_turn_until_it_ends(database) -> None:
    engine, lock_path = database
    assert not turn_is_taken(lock_path)
    with engine.connect() as connection:
        connection.begin()
        connection.execute(text("INSERT INTO t VALUES (1)"))
        assert turn_is_taken(lock_path)
        connection.commit()
        assert not turn_is_taken(lock_path)
        connection.begin()
        assert turn_is_taken(lock_path)
        connection.rollback()
        assert not turn_is_taken(lock_path)


def test_a_reader_takes_no_turn(database) -> None:
    from recovery_soap.store.db import readonly_options

    engine, lock_path = database
    with engine.connect() as connection:
        connection = connection.execution_options(**readonly_options(connection))
        connection.begin()
        connection.execute(text("SELECT count(*) FROM t"))
        assert not turn_is_taken(lock_path)


def test_threads_of_one_process_take_turns(database) -> None:
    engine, _ = database
    inside, overlaps = [0], []

    def write() -> None:
        for _ in range(20):
            with engine.begin() as connection:
                inside[0] += 1
                overlaps.append(inside[0])
                connection.execute(text("INSERT INTO t VALUES (2)"))
                time.sleep(0.001)
                inside[0] -= 1

    threads = [threading.Thread(target=write) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(overlaps) == 1
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 60


def test_a_turn_never_given_back_delays_a_writer_only_for_its_patience(tmp_path: Path) -> None:
    queue = WriterQueue(str(tmp_path / "x.db"), patience=0.05)
    fd = os.open(queue.path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process that never lets go
    started = time.monotonic()
    queue.take().give_back()
    assert 0.05 <= time.monotonic() - started < 5
    os.close(fd)


def test_a_forked_child_starts_with_the_turn_free(database) -> None:
    engine, lock_path = database
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (3)"))
    pid = os.fork()
    if pid == 0:  # the child writes with its own lock file description
        try:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (4)"))
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert not turn_is_taken(lock_path)


def test_a_turn_can_be_given_back_by_another_thread(tmp_path: Path) -> None:
    """A connection may be returned to the pool by another thread (or the garbage collector)."""
    queue = WriterQueue(str(tmp_path / "x.db"), patience=5)
    taken: list = []
    thread = threading.Thread(target=lambda: taken.append(queue.take()))
    thread.start()
    thread.join()
    assert turn_is_taken(queue.path)
    taken[0].give_back()
    assert not turn_is_taken(queue.path)
    started = time.monotonic()
    queue.take().give_back()
    assert time.monotonic() - started < 1
