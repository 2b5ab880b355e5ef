"""The export format (JSON Lines, docs/EXPORT.md): written from a store by
:func:`write_export`, read back as import records by :class:`JsonlUsers`.

One JSON object a line, keys sorted, UTF-8: a header, then every tenant, then every user of each
tenant in username order. Hashes are written in their stored form (argon2id, or an imported
legacy digest bare or wrapped), never re-hashed, so that an import of the file gives back the
same store and the same file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from recovery_soap.core.legacy_records import HashedSecret, ImportedAnswer, ImportRecord, Skipped
from recovery_soap.core.model import Question
from recovery_soap.importer import SourceError
from recovery_soap.store.db import Database
from recovery_soap.store.export import ExportReader

FORMAT, VERSION = "recovery-soap-export", 1
PAGE = 1000


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def count_exported(engine: Database) -> int:
    """How many users :func:`write_export` would write (the progress bar's total)."""
    with engine.connect() as connection:
        return ExportReader(connection).count()


def write_export(
    engine: Database, out: TextIO, progress: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """Write the whole store to ``out``, a page of users at a time; (tenants, users) written."""
    with engine.connect() as connection:
        tenants = ExportReader(connection).tenants()
    out.write(_line({"type": "header", "format": FORMAT, "version": VERSION}))
    for tenant, questions in tenants:
        out.write(
            _line(
                {
                    "type": "tenant",
                    "domain": tenant.domain,
                    "notify_changes": tenant.notify_changes,
                    "self_signup": tenant.self_signup,
                    "questions": [
                        {"set_id": q.set_id, "question": q.question, "order": q.order}
                        for q in questions
                    ],
                }
            )
        )
    written = 0
    for tenant, _ in tenants:
        after: str | None = None
        while True:
            with engine.connect() as connection:
                page = ExportReader(connection).users(tenant, after, PAGE)
            if not page:
                break
            after = page[-1]["username"]
            for user in page:
                answers = {
                    set_id: {"question": q, "answer_hash": h}
                    for set_id, (q, h) in user.pop("answers").items()
                }
                out.write(
                    _line({"type": "user", "tenant": tenant.domain, **user, "answers": answers})
                )
            written += len(page)
            if progress is not None:
                progress(written)
    return len(tenants), written


class JsonlUsers:
    """The users of an export file as import records, in batches; its tenants apart."""

    def __init__(self, path: str | Path, *, batch_size: int = 1000) -> None:
        self._path = Path(path)
        self._batch_size = max(1, batch_size)
        self._tenants: list[dict[str, Any]] = []
        self._total = 0
        with self._open() as file:
            header = _parse(file.readline())
            if not header or header.get("format") != FORMAT or header.get("version") != VERSION:
                raise SourceError(f"{self._path} is not a {FORMAT} version {VERSION} file")
            for text in file:
                data = _parse(text)
                kind = data.get("type") if data else None
                if kind == "tenant" and data is not None:
                    self._tenants.append(data)
                elif text.strip():
                    self._total += 1

    def _open(self) -> TextIO:
        try:
            return self._path.open(encoding="utf-8")
        except OSError as error:
            raise SourceError(f"cannot read {self._path}: {error.strerror}") from None

    def count(self) -> int:
        return self._total

    def tenants(self) -> list[tuple[str, bool, bool, list[Question]]]:
        """(domain, notify_changes, self_signup, questions) of every tenant line."""
        try:
            return [
                (
                    str(t["domain"]),
                    bool(t.get("notify_changes", True)),
                    bool(t.get("self_signup", True)),
                    [
                        Question(q["set_id"], q["question"], int(q.get("order", 0)))
                        for q in t.get("questions", [])
                    ],
                )
                for t in self._tenants
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise SourceError(f"{self._path}: a tenant line is malformed ({error})") from None

    def batches(self) -> Iterator[list[ImportRecord | Skipped]]:
        batch: list[ImportRecord | Skipped] = []
        with self._open() as file:
            file.readline()
            for number, text in enumerate(file, start=2):
                data = _parse(text)
                if data is not None and data.get("type") == "tenant" or not text.strip():
                    continue
                batch.append(_record(data, number))
                if len(batch) >= self._batch_size:
                    yield batch
                    batch = []
        if batch:
            yield batch


def _parse(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _record(data: dict[str, Any] | None, number: int) -> ImportRecord | Skipped:
    if data is None or data.get("type") != "user":
        return Skipped("", f"(line {number})", "not a user line of the export format")
    tenant, username = str(data.get("tenant", "")), str(data.get("username", ""))
    try:
        answers = tuple(
            ImportedAnswer(set_id, str(a["question"]), HashedSecret(str(a["answer_hash"])))
            for set_id, a in sorted(data.get("answers", {}).items())
        )
        claims = {str(k): str(v) for k, v in data.get("claims", {}).items()}
        return ImportRecord(
            tenant=tenant,
            username=username,
            password=HashedSecret(str(data["password_hash"])),
            changed_at=_time(data.get("password_changed_at")),
            locked=bool(data.get("locked", False)),
            claims=claims,
            answers=answers,
            created_at=_time(data.get("created_at")),
            pending=bool(data.get("pending_confirmation", False)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return Skipped(tenant, username or f"(line {number})", f"malformed user line: {error}")


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))
