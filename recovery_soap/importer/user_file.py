"""What every file of users shares: opening it with a clear error, counting it, and handing its
records to the import in batches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from recovery_soap.core.legacy_records import ImportRecord, Skipped
from recovery_soap.importer import SourceError

Batch = list[ImportRecord | Skipped]


class UserFile:
    """A file of users for one tenant; a subclass reads its records (:meth:`_records`)."""

    #: Errors of a file that is not in the expected format, and how the message names it.
    unreadable: tuple[type[Exception], ...] = (UnicodeDecodeError,)
    described_as = ""

    def __init__(self, path: str | Path, *, tenant: str, batch_size: int) -> None:
        self._path = Path(path)
        self._tenant = tenant.strip().lower()
        self._batch_size = max(1, batch_size)
        self._total = 0

    def _open(self, mode: str = "r", **options: Any) -> IO[Any]:
        try:
            return self._path.open(mode, **options)
        except OSError as error:
            raise SourceError(f"cannot read {self._path}: {error.strerror}") from None

    def _records(self) -> Iterator[ImportRecord | Skipped]:
        raise NotImplementedError

    def count(self) -> int:
        return self._total

    def batches(self) -> Iterator[Batch]:
        batch: Batch = []
        try:
            for record in self._records():
                batch.append(record)
                if len(batch) >= self._batch_size:
                    yield batch
                    batch = []
        except self.unreadable as error:
            raise SourceError(f"cannot read {self._path}{self.described_as}: {error}") from None
        if batch:
            yield batch
