"""Wrapping every legacy digest an import copied bare in argon2id.

Several processes compute the wraps (argon2 is CPU-bound; threads would share one core), the
main process reads and writes pages by id. Each wrap replaces a digest only while it is still
the one read, so a login that upgraded it meanwhile wins: safe beside the live service. Every
page is committed as it completes, and only bare digests are read, so an interrupted run
continues where it stopped when started again.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from recovery_soap.core.passwords import SlowHasher
from recovery_soap.store.db import Database
from recovery_soap.store.imports import LegacyHashes

_hasher: SlowHasher | None = None


def _start_worker(memory_kib: int, time_cost: int) -> None:
    global _hasher
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    _hasher = SlowHasher(memory_kib, time_cost)


def _rewrap_all(hashes: Sequence[str]) -> list[str | None]:
    assert _hasher is not None
    return [_hasher.rewrap(h) for h in hashes]


Page = list[tuple[int, str]]
Pending = tuple[Page, list[Future[list[str | None]]]]


class Rehasher:
    """One run over the store's bare digests (passwords, then answers)."""

    def __init__(
        self,
        engine: Database,
        hasher_params: tuple[int, int],
        *,
        workers: int | None = None,
        page_size: int = 100,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self._engine = engine
        self._params = hasher_params
        self._workers = max(1, workers or os.cpu_count() or 1)
        self._page_size = max(1, page_size)
        self.progress = progress or (lambda _done: None)
        self.done = 0

    def remaining(self) -> tuple[int, int]:
        with self._engine.connect() as connection:
            return LegacyHashes(connection).count()

    def run(self) -> None:
        with ProcessPoolExecutor(
            self._workers, initializer=_start_worker, initargs=self._params
        ) as pool:
            try:
                for kind in ("passwords", "answers"):
                    self._run_kind(pool, kind)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise

    def _pages(self, kind: str) -> Iterator[Page]:
        after = 0
        while True:
            with self._engine.connect() as connection:
                read = getattr(LegacyHashes(connection), kind)
                page: Page = read(after, self._page_size)
            if not page:
                return
            after = page[-1][0]
            yield page

    def _run_kind(self, pool: ProcessPoolExecutor, kind: str) -> None:
        """Pipelined: the next page is hashed while the last one is written."""
        pending: Pending | None = None
        for page in self._pages(kind):
            submitted = self._submit(pool, page)
            if pending is not None:
                self._write(kind, *pending)
            pending = submitted
        if pending is not None:
            self._write(kind, *pending)

    def _submit(self, pool: ProcessPoolExecutor, page: Page) -> Pending:
        size = max(1, -(-len(page) // (self._workers * 4)))
        chunks = [page[i : i + size] for i in range(0, len(page), size)]
        return page, [pool.submit(_rewrap_all, [h for _, h in chunk]) for chunk in chunks]

    def _write(self, kind: str, page: Page, futures: list[Future[list[str | None]]]) -> None:
        wrapped = [w for future in futures for w in future.result()]
        triples = [(i, old, new) for (i, old), new in zip(page, wrapped, strict=True) if new]
        with self._engine.begin() as connection:
            store = LegacyHashes(connection)
            if kind == "passwords":
                store.replace_passwords(triples)
            else:
                store.replace_answers(triples)
        self.done += len(page)
        self.progress(self.done)
