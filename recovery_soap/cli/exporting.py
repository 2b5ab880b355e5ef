"""``recovery-soap export``: the whole store as JSON Lines (docs/EXPORT.md)."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext

from recovery_soap.cli.common import emit, settings_for
from recovery_soap.cli.parser import Commands
from recovery_soap.cli.progress import Progress
from recovery_soap.config import SettingsError


def cmd_export(args: argparse.Namespace) -> int:
    from recovery_soap.composition import prepare_database
    from recovery_soap.importer.jsonl import count_exported, write_export

    engine = prepare_database(settings_for(args))
    try:
        total = count_exported(engine)
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
        emit(args, summary, [line])
    else:
        print(line, file=sys.stderr)
    return 0


def register(commands: Commands) -> None:
    export = commands.command(
        "export", cmd_export, "write tenants and users (hashes as stored) as JSON Lines"
    )
    export.add_argument("--out", metavar="FILE", help="file to write (default: standard output)")
