"""``recovery-soap import wso2|csv``: the command-line face of the importer."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from queue import Empty, Queue
from typing import Any, Protocol, TextIO, TypeVar

from recovery_soap.config import SettingsError
from recovery_soap.core.errors import StoreConflict, Unavailable
from recovery_soap.core.import_report import ImportReport
from recovery_soap.core.imports import Importer
from recovery_soap.importer import SourceError
from recovery_soap.importer.csv_file import FORMAT_HELP

EXIT_FAILED = 1
#: Some rows were skipped (and --allow-skips was not given): the report says which and why.
EXIT_SKIPPED = 3
SOURCE_VARIABLE = "RECOVERY_IMPORT_SOURCE"
T = TypeVar("T")


class Source(Protocol):
    def count(self) -> int: ...
    def batches(self) -> Any: ...


class Progress:
    """A progress line on stderr with rate and time left: rewritten in place on a terminal, one
    line per ``interval`` seconds elsewhere (logs stay short)."""

    def __init__(
        self,
        total: int,
        stream: TextIO | None = None,
        *,
        verb: str = "imported",
        noun: str = "users",
        interval: float = 10.0,
    ) -> None:
        self._total = max(total, 0)
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._started = time.monotonic()
        self._last = -interval
        self._interval = 0.0 if self._tty else interval
        self._words = (verb, noun)
        self._written = False

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last < self._interval and done < self._total:
            return
        self._last = now
        elapsed = max(now - self._started, 1e-6)
        rate = done / elapsed
        share = f" ({100 * done // self._total}%)" if self._total else ""
        left = f", {(self._total - done) / rate:.0f}s left" if rate and self._total > done else ""
        verb, noun = self._words
        line = f"{verb} {done}/{self._total} {noun}{share}, {rate:.0f}/s{left}"
        self._stream.write(f"\r{line}\x1b[K" if self._tty else f"{line}\n")
        self._stream.flush()
        self._written = True

    def close(self) -> None:
        if self._tty and self._written:
            self._stream.write("\n")


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


def _tenant_map(values: list[str] | None) -> dict[str, str]:
    """``SOURCE=TARGET`` pairs (repeated or comma-separated); an empty TARGET skips the tenant."""
    mapping: dict[str, str] = {}
    for value in values or []:
        for pair in filter(None, (p.strip() for p in value.split(","))):
            source, sep, target = pair.partition("=")
            if not sep or not source.strip():
                raise SettingsError(f"--tenant-map wants SOURCE=TARGET, not {pair!r}")
            mapping[source.strip()] = target.strip()
    return mapping


def _report_lines(report: ImportReport) -> list[str]:
    data = report.as_dict()
    lines = [
        f"read {data['read']}, created {data['created']}, updated {data['updated']}, "
        f"unchanged {data['unchanged']}, skipped {data['skipped']}"
    ]
    lines += [f"  skipped {count}: {reason}" for reason, count in report.skipped.most_common()]
    lines += [f"    e.g. {example}" for example in report.examples[:5]]
    if report.tenants_created:
        lines.append(f"tenants created: {', '.join(report.tenants_created)}")
    if report.missing:
        done = "deleted" if report.deleted else "kept (--delete-missing removes them)"
        lines.append(f"{report.missing} imported users are gone from the source: {done}")
        lines += [f"    e.g. {example}" for example in report.missing_examples[:5]]
    if report.dry_run:
        lines.append("dry run: nothing was written")
    return lines


def finish(args: argparse.Namespace, report: ImportReport) -> int:
    """Print the report; the exit status says whether rows were skipped."""
    from recovery_soap.cli import _print

    _print(args, report.as_dict(), _report_lines(report))
    if report.skipped and not getattr(args, "allow_skips", False):
        print(
            f"recovery-soap: {sum(report.skipped.values())} rows skipped (reasons above); "
            "pass --allow-skips to accept that",
            file=sys.stderr,
        )
        return EXIT_SKIPPED
    return 0


def _run(args: argparse.Namespace, source: Source, label: str) -> int:
    from recovery_soap.app import build_env, prepare_database
    from recovery_soap.cli import _settings

    settings = _settings(args)
    engine = prepare_database(settings)
    progress = Progress(source.count())
    importer = Importer(
        build_env(settings, engine),
        dry_run=args.dry_run,
        workers=args.workers,
        progress=progress,
        delete_missing=getattr(args, "delete_missing", False),
    )
    try:
        report = importer.run(prefetched(source.batches()), source=label)
    except (StoreConflict, Unavailable) as error:
        print(
            f"recovery-soap: import stopped ({error}); the batches written so far are kept, "
            "run the import again",
            file=sys.stderr,
        )
        return EXIT_FAILED
    finally:
        progress.close()
        engine.dispose()
    return finish(args, report)


def _failing_softly(handler: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except SourceError as error:
            print(f"recovery-soap: {error}", file=sys.stderr)
            return EXIT_FAILED

    return run


@_failing_softly
def cmd_import_wso2(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from recovery_soap.importer.claim_map import load_claim_map
    from recovery_soap.importer.wso2 import Wso2Store

    url = args.source or os.environ.get(SOURCE_VARIABLE, "")
    if not url:
        raise SettingsError(f"give the WSO2 database as --source URL or {SOURCE_VARIABLE}")
    claim_map = load_claim_map(args.claim_map)
    with Wso2Store(
        url,
        claim_map=claim_map,
        tenant_map=_tenant_map(args.tenant_map),
        batch_size=args.batch_size,
    ) as store:
        return _run(args, store, make_url(url).render_as_string(hide_password=True))


@_failing_softly
def cmd_import_csv(args: argparse.Namespace) -> int:
    from recovery_soap.importer.csv_file import CsvUsers

    users = CsvUsers(args.file, tenant=args.tenant, batch_size=args.batch_size)
    return _run(args, users, str(args.file))


def add_import_commands(under: Any, command: Callable[..., Any]) -> None:
    """The ``import`` actions, added to the group ``under`` with cli.py's ``command`` helper."""
    wso2 = command(
        "wso2",
        cmd_import_wso2,
        "import users, claims, locks and challenge answers from a WSO2 JDBC user "
        "store; re-running updates, never duplicates",
        under,
    )
    wso2.add_argument(
        "--source",
        metavar="URL",
        help="SQLAlchemy URL of the WSO2 database, e.g. sqlite:///wso2.db, "
        "postgresql+psycopg://u@host/db, mysql+pymysql://u@host/db "
        f"(or {SOURCE_VARIABLE}, which keeps a password off the command line)",
    )
    wso2.add_argument(
        "--tenant-map",
        action="append",
        metavar="SOURCE=TARGET",
        help="import legacy tenant SOURCE (domain or UM_ID) as TARGET; an empty "
        "TARGET leaves it out (repeatable, or comma-separated)",
    )
    wso2.add_argument(
        "--claim-map",
        metavar="FILE",
        help="JSON or TOML file: attribute = claim URI (or a list); replaces the "
        "default mapping of the attributes it names",
    )
    csv_command = command("csv", cmd_import_csv, "import users from a CSV file", under)
    csv_command.description = f"Import users from a CSV file. {FORMAT_HELP}"
    csv_command.add_argument("--file", required=True, help="the CSV file")
    csv_command.add_argument(
        "--tenant", default="carbon.super", help="tenant of every user (created when missing)"
    )
    for sub in (wso2, csv_command):
        sub.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            metavar="N",
            help="users per transaction (default 1000)",
        )
        sub.add_argument(
            "--workers",
            type=int,
            default=None,
            metavar="N",
            help="threads computing hashes (default: the number of CPUs)",
        )
        add_run_options(sub)


def add_run_options(sub: Any) -> None:
    """The options every import command has."""
    sub.add_argument(
        "--dry-run", action="store_true", help="read and compare everything, write nothing"
    )
    sub.add_argument(
        "--allow-skips",
        action="store_true",
        help=f"exit 0 even when rows were skipped (otherwise {EXIT_SKIPPED})",
    )
    sub.add_argument(
        "--delete-missing",
        action="store_true",
        help="remove imported users the source no longer holds (otherwise only reported)",
    )
