"""The composition root's store side: the database and the store objects that the app, the
faces and the commands are given. They are built here, so that no face or command imports
the store (or SQLAlchemy) itself."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from recovery_soap.config import Settings
from recovery_soap.core.audit_log import AuditSearch
from recovery_soap.core.ports import Clock
from recovery_soap.core.signing import SigningKeys
from recovery_soap.core.statistics import EventCounts
from recovery_soap.store import schema
from recovery_soap.store.audit import AuditSearchStore
from recovery_soap.store.db import Database, is_sqlite, make_engine, opened, ping
from recovery_soap.store.outbox_queue import OutboxQueue
from recovery_soap.store.schema import SchemaOutdated
from recovery_soap.store.sealing import sealer_for
from recovery_soap.store.signing_keys import SigningKeyStore
from recovery_soap.store.statistics import AuditCounts

if TYPE_CHECKING:  # the REST faces (joserfc) load only when a REST path or a command needs them
    from recovery_soap.rest.signing_key_ring import KeyRing

__all__ = [
    "Database",
    "SchemaOutdated",
    "audit_counts",
    "audit_search",
    "database_ping",
    "foreign_database_label",
    "key_ring",
    "migrate_database",
    "outbox_queue",
    "prepare_database",
    "signing_keys",
]


def prepare_database(settings: Settings) -> Database:
    """The database, with the schema migrated (SQLite, the embedded default) or checked current
    (SchemaOutdated when it is not)."""
    engine = opened(make_engine(settings.database_url))
    if is_sqlite(settings.database_url):
        schema.upgrade(engine)
    else:
        schema.ensure_current(engine)
    return engine


def migrate_database(settings: Settings) -> str | None:
    """Bring the schema to the code's revision (``recovery-soap db upgrade``); the revision."""
    engine = opened(make_engine(settings.database_url))
    try:
        schema.upgrade(engine)
        return schema.current_revision(engine)
    finally:
        engine.dispose()


def database_ping(database: Database) -> Callable[[], None]:
    """The readiness check: returns when the database answers, raises when it does not."""
    return functools.partial(ping, database)


def outbox_queue(database: Database, settings: Settings) -> OutboxQueue:
    """The dispatcher's side of the outbox, opening texts with the service's sealing key."""
    return OutboxQueue(database, sealer_for(database, settings.secret_key))


def signing_keys(database: Database) -> SigningKeys:
    """The stored token signing keys (``recovery-soap keys list`` reads them)."""
    return SigningKeyStore(database)


def key_ring(database: Database, settings: Settings, clock: Clock) -> KeyRing:
    """The key ring that signs and verifies access tokens, kept in the database."""
    from recovery_soap.rest.signing_key_ring import KeyRing

    return KeyRing(signing_keys(database), clock, settings)


def audit_counts(database: Database) -> EventCounts:
    """Audit events counted per day (the subscriber API's statistics)."""
    return AuditCounts(database)


def audit_search(database: Database) -> AuditSearch:
    """The audit trail read back (``core.audit_log.recent_events`` filters it)."""
    return AuditSearchStore(database)


def foreign_database_label(url: str) -> str:
    """The WSO2 database's URL as the import reports it: its password hidden."""
    from recovery_soap.importer.wso2 import displayed_url

    return displayed_url(url)
