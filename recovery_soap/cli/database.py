"""``recovery-soap db``: the database schema."""

from __future__ import annotations

import argparse

from recovery_soap.cli.common import emit, settings_for
from recovery_soap.cli.parser import Commands


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from recovery_soap.composition import migrate_database

    revision = migrate_database(settings_for(args))
    emit(args, {"revision": revision}, [f"database at revision {revision}"])
    return 0


def register(commands: Commands) -> None:
    db = commands.group("db", "database schema")
    db.command("upgrade", cmd_db_upgrade, "migrate the database to the current schema")
