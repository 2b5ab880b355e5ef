"""Reading a source ahead of the import, in a thread of its own."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from queue import Empty, Queue
from typing import TypeVar

T = TypeVar("T")


def prefetched(batches: Iterable[T], depth: int = 2) -> Iterator[T]:
    """The batches, read by a thread of their own ``depth`` ahead: the source is read while the
    target is written (database drivers wait outside the interpreter lock)."""
    done = object()
    queue: Queue[object] = Queue(maxsize=depth)
    stop = threading.Event()

    def read() -> None:
        try:
            for batch in batches:
                if stop.is_set():
                    return
                queue.put(batch)
            queue.put(done)
        except BaseException as error:  # noqa: BLE001 - handed to the consuming thread
            queue.put(error)

    reader = threading.Thread(target=read, name="import-source", daemon=True)
    reader.start()
    try:
        while (item := queue.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while reader.is_alive():  # unblock a reader waiting on a full queue
            with contextlib.suppress(Empty):
                queue.get(timeout=0.1)
