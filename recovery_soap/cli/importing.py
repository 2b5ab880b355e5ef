"""``recovery-soap import wso2|csv|jsonl|ldif``: users from another store into this one."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Protocol

from recovery_soap.cli.common import EXIT_FAILED, emit, settings_for
from recovery_soap.cli.parser import Commands
from recovery_soap.cli.progress import Progress
from recovery_soap.config import SettingsError
from recovery_soap.core.errors import BadRequest, StoreConflict, Unavailable
from recovery_soap.core.import_report import ImportReport
from recovery_soap.core.user_import import Importer
from recovery_soap.importer.csv_file import FORMAT_HELP
from recovery_soap.importer.prefetch import prefetched

#: Some rows were skipped (and --allow-skips was not given): the report says which and why.
EXIT_SKIPPED = 3
SOURCE_VARIABLE = "RECOVERY_IMPORT_SOURCE"
#: The batch and worker help of the imports that write a transaction per batch with threads.
TRANSACTION_HELP = (
    "users per transaction (default 1000)",
    "threads computing hashes (default: the number of CPUs)",
)


class Source(Protocol):
    """What the import reads: a count for the progress line, then batches of records."""

    def count(self) -> int: ...
    def batches(self) -> Any: ...


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


def _finish(args: argparse.Namespace, report: ImportReport) -> int:
    """Print the report; the exit status says whether rows were skipped."""
    emit(args, report.as_dict(), _report_lines(report))
    if report.skipped and not getattr(args, "allow_skips", False):
        print(
            f"recovery-soap: {sum(report.skipped.values())} rows skipped (reasons above); "
            "pass --allow-skips to accept that",
            file=sys.stderr,
        )
        return EXIT_SKIPPED
    return 0


def _run(args: argparse.Namespace, source: Source, label: str) -> int:
    from recovery_soap.app import build_services, prepare_database

    settings = settings_for(args)
    engine = prepare_database(settings)
    progress = Progress(source.count())
    importer = Importer(
        build_services(settings, engine),
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
    return _finish(args, report)


def cmd_import_wso2(args: argparse.Namespace) -> int:
    from recovery_soap.composition import foreign_database_label
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
        return _run(args, store, foreign_database_label(url))


def cmd_import_csv(args: argparse.Namespace) -> int:
    from recovery_soap.importer.csv_file import CsvUsers

    users = CsvUsers(args.file, tenant=args.tenant, batch_size=args.batch_size)
    return _run(args, users, str(args.file))


def cmd_import_jsonl(args: argparse.Namespace) -> int:
    from recovery_soap.app import build_services, prepare_database
    from recovery_soap.core.tenant_import import apply_tenant
    from recovery_soap.importer.jsonl import JsonlUsers

    users = JsonlUsers(args.file, batch_size=args.batch_size)
    tenants = users.tenants()
    settings = settings_for(args)
    engine = prepare_database(settings)
    env = build_services(settings, engine)
    progress = Progress(users.count())
    try:
        if not args.dry_run:
            with env.uow() as uow:
                for domain, notify, signup, questions in tenants:
                    apply_tenant(
                        uow, domain, notify_changes=notify, self_signup=signup, questions=questions
                    )
                uow.commit()
        importer = Importer(
            env,
            dry_run=args.dry_run,
            workers=args.workers,
            progress=progress,
            delete_missing=args.delete_missing,
        )
        report = importer.run(prefetched(users.batches()), source=str(args.file))
    except BadRequest as error:
        print(f"recovery-soap: {args.file}: {error.message}", file=sys.stderr)
        return EXIT_FAILED
    except (StoreConflict, Unavailable) as error:
        print(f"recovery-soap: import stopped ({error}); run it again", file=sys.stderr)
        return EXIT_FAILED
    finally:
        progress.close()
        engine.dispose()
    return _finish(args, report)


def cmd_import_ldif(args: argparse.Namespace) -> int:
    from recovery_soap.importer.claim_map import load_claim_map
    from recovery_soap.importer.ldif_file import LdifUsers

    users = LdifUsers(
        args.file,
        tenant=args.tenant,
        claim_map=load_claim_map(args.claim_map),
        username_attribute=args.username_attribute,
        batch_size=args.batch_size,
    )
    return _run(args, users, str(args.file))


def register(commands: Commands) -> None:
    imports = commands.group("import", "import users from WSO2, a CSV, LDIF or exported file")
    _register_wso2(imports)
    csv_command = imports.command("csv", cmd_import_csv, "import users from a CSV file")
    csv_command.description = f"Import users from a CSV file. {FORMAT_HELP}"
    csv_command.add_argument("--file", required=True, help="the CSV file")
    _tenant_option(csv_command)
    _batch_options(csv_command, *TRANSACTION_HELP)
    jsonl = imports.command(
        "jsonl", cmd_import_jsonl, "import a file written by 'recovery-soap export'"
    )
    jsonl.add_argument("--file", required=True, help="the JSON Lines file")
    _batch_options(jsonl)
    _register_ldif(imports)


def _register_wso2(imports: Commands) -> None:
    wso2 = imports.command(
        "wso2",
        cmd_import_wso2,
        "import users, claims, locks and challenge answers from a WSO2 JDBC user "
        "store; re-running updates, never duplicates",
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
    _batch_options(wso2, *TRANSACTION_HELP)


def _register_ldif(imports: Commands) -> None:
    ldif = imports.command(
        "ldif",
        cmd_import_ldif,
        "import users from an LDIF export of an LDAP directory or Active Directory",
    )
    ldif.add_argument("file", help="the LDIF file")
    _tenant_option(ldif)
    ldif.add_argument(
        "--username-attribute",
        default="uid",
        metavar="NAME",
        help="attribute holding the username (default uid; sAMAccountName for AD)",
    )
    ldif.add_argument(
        "--claim-map",
        metavar="FILE",
        help="JSON or TOML file: attribute = claim URI (or a list), as for import wso2",
    )
    _batch_options(ldif)


def _tenant_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--tenant", default="carbon.super", help="tenant of every user (created when missing)"
    )


def _batch_options(
    sub: argparse.ArgumentParser,
    batch_help: str = "users per batch (default: 1000)",
    workers_help: str = "hashing processes (default: cores)",
) -> None:
    """The options every import command has: batch size, hashing workers, run options."""
    sub.add_argument("--batch-size", type=int, default=1000, metavar="N", help=batch_help)
    sub.add_argument("--workers", type=int, default=None, metavar="N", help=workers_help)
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
