"""``recovery-soap export``, ``recovery-soap import jsonl`` (moving a whole store out and in,
docs/EXPORT.md) and ``recovery-soap import ldif`` (users exported from an LDAP directory)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from recovery_soap.config import SettingsError
from recovery_soap.core.errors import BadRequest, StoreConflict, Unavailable
from recovery_soap.core.imports import Importer
from recovery_soap.importer import SourceError
from recovery_soap.importer.commands import (
    EXIT_FAILED,
    Progress,
    _failing_softly,
    _run,
    add_run_options,
    finish,
    prefetched,
)


def cmd_export(args: argparse.Namespace) -> int:
    from recovery_soap.app import prepare_database
    from recovery_soap.cli import _print, _settings
    from recovery_soap.importer.jsonl import write_export
    from recovery_soap.store.export import ExportReader

    engine = prepare_database(_settings(args))
    try:
        with engine.connect() as connection:
            total = ExportReader(connection).count()
        progress = Progress(total, verb="exported")
        try:
            target = open(args.out, "w", encoding="utf-8") if args.out else nullcontext(sys.stdout)  # noqa: SIM115
        except OSError as error:
            raise SettingsError(f"cannot write {args.out}: {error.strerror}") from None
        with target as out:
            tenants, users = write_export(engine, out, progress)
        progress.close()
    finally:
        engine.dispose()
    summary = {"tenants": tenants, "users": users, "file": args.out or "-"}
    line = f"exported {tenants} tenants and {users} users to {args.out or 'standard output'}"
    if args.out:
        _print(args, summary, [line])
    else:
        print(line, file=sys.stderr)
    return 0


def cmd_import_jsonl(args: argparse.Namespace) -> int:
    from recovery_soap.app import build_env, prepare_database
    from recovery_soap.cli import _settings
    from recovery_soap.core.tenant_import import apply_tenant
    from recovery_soap.importer.jsonl import JsonlUsers

    try:
        users = JsonlUsers(args.file, batch_size=args.batch_size)
        tenants = users.tenants()
    except SourceError as error:
        print(f"recovery-soap: {error}", file=sys.stderr)
        return EXIT_FAILED
    settings = _settings(args)
    engine = prepare_database(settings)
    env = build_env(settings, engine)
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
    return finish(args, report)


@_failing_softly
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


def add_transfer_commands(import_group: Any, command: Callable[..., Any]) -> None:
    """``export`` (top level) and ``import jsonl``, with cli.py's ``command`` helper."""
    export = command(
        "export", cmd_export, "write tenants and users (hashes as stored) as JSON Lines"
    )
    export.add_argument("--out", metavar="FILE", help="file to write (default: standard output)")
    jsonl = command(
        "jsonl", cmd_import_jsonl, "import a file written by 'recovery-soap export'", import_group
    )
    jsonl.add_argument("--file", required=True, help="the JSON Lines file")
    jsonl.add_argument(
        "--batch-size", type=int, default=1000, metavar="N", help="users per batch (default: 1000)"
    )
    jsonl.add_argument(
        "--workers", type=int, default=None, metavar="N", help="hashing processes (default: cores)"
    )
    add_run_options(jsonl)
    ldif = command(
        "ldif",
        cmd_import_ldif,
        "import users from an LDIF export of an LDAP directory or Active Directory",
        import_group,
    )
    ldif.add_argument("file", help="the LDIF file")
    ldif.add_argument(
        "--tenant", default="carbon.super", help="tenant of every user (created when missing)"
    )
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
    ldif.add_argument(
        "--batch-size", type=int, default=1000, metavar="N", help="users per batch (default: 1000)"
    )
    ldif.add_argument(
        "--workers", type=int, default=None, metavar="N", help="hashing processes (default: cores)"
    )
    add_run_options(ldif)
