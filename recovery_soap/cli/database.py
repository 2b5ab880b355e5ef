"""``recovery-soap db``: the database schema."""

from __future__ import annotations

import argparse

from recovery_soap.cli.common import emit, settings_for, tracked
from recovery_soap.cli.parser import Commands


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from recovery_soap.store import schema
    from recovery_soap.store.db import make_engine, opened

    settings = settings_for(args)
    engine = tracked(opened(make_engine(settings.database_url)))
    schema.upgrade(engine)
    revision = schema.current_revision(engine)
    emit(args, {"revision": revision}, [f"database at revision {revision}"])
    return 0


def register(commands: Commands) -> None:
    db = commands.group("db", "database schema")
    db.command("upgrade", cmd_db_upgrade, "migrate the database to the current schema")
