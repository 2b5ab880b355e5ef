"""Schema migrations (Alembic), run by ``recovery-soap db upgrade`` or at start on SQLite.

Alembic (about 11 MB per process) is imported only to migrate: a service worker finding its
database current reads the revision with one query and the head from the shipped scripts.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from recovery_soap.core.errors import RecoverySoapError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger("recovery_soap.schema")
MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*[\"']([^\"']+)[\"']", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(None|[\"']([^\"']+)[\"'])", re.M)


class SchemaOutdated(RecoverySoapError, RuntimeError):
    """The database is not at the schema this code expects."""


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def shipped_head() -> str | None:
    """The head of the shipped migration chain, read from the scripts without Alembic; None
    when the chain is not one plain line (then ask Alembic)."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        if down.group(2):
            parents.add(down.group(2))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None  # an empty database
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    if len(versions) > 1:
        raise SchemaOutdated("the database has several schema heads")
    return versions[0][0] if versions else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to ``revision``. On SQLite, foreign keys are off meanwhile: a table rebuilt by a
    migration is dropped and re-created, and with them on the drop would cascade to its rows."""
    before = current_revision(engine)
    if revision == "head" and before == (shipped_head() or head_revision()):
        return
    # Alembic logs a line per plugin and step at INFO; an operator gets one summary line instead.
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(max(level, logging.WARNING))
    from alembic import command

    config = _config()
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        driver = connection.connection.driver_connection if sqlite else None
        if driver is not None:
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        finally:
            alembic_log.setLevel(level)
            if driver is not None:
                driver.execute("PRAGMA foreign_keys=ON")
    log.info("database schema migrated from %s to %s", before or "empty", current_revision(engine))


def ensure_current(engine: Engine) -> None:
    current, head = current_revision(engine), shipped_head() or head_revision()
    if current != head:
        raise SchemaOutdated(
            f"database schema is at {current or 'nothing'}, expected {head}: "
            "run 'recovery-soap db upgrade'"
        )
