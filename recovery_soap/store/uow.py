"""The unit of work: one connection, one transaction; leaving without commit() rolls back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import cast

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from recovery_soap.core import ports
from recovery_soap.core.errors import StoreConflict, Unavailable
from recovery_soap.store.accounts import AccountRepository
from recovery_soap.store.audit import AuditRepository
from recovery_soap.store.captchas import CaptchaRepository
from recovery_soap.store.codes import CodeRepository
from recovery_soap.store.db import readonly_options
from recovery_soap.store.directory import DirectoryRepository
from recovery_soap.store.guards import GuardRepository
from recovery_soap.store.imports import ImportRepository
from recovery_soap.store.outbox_writes import OutboxRepository
from recovery_soap.store.questions import QuestionRepository
from recovery_soap.store.sealing import Sealer, sealer_for
from recovery_soap.store.sessions import SessionRepository
from recovery_soap.store.tenants import TenantRepository
from recovery_soap.store.users import UserRepository
from recovery_soap.store.write_behind import WriteBehindConnection


class SqlUnitOfWork:
    """The core's UnitOfWork on one SQLAlchemy connection (its repositories are typed as the
    core's ports: the core asks nothing else of them)."""

    tenants: ports.Tenants
    users: ports.Users
    codes: ports.Codes
    captchas: ports.Captchas
    questions: ports.Questions
    outbox: ports.Outbox
    accounts: ports.Accounts
    sessions: ports.CallerSessions
    guards: ports.Guards
    audit: ports.AuditTrail
    directory: ports.Directory
    imports: ports.Imports

    def __init__(
        self, engine: Engine, readonly: bool = False, sealer: Sealer | None = None
    ) -> None:
        self._engine = engine
        self._sealer = sealer
        self._readonly = readonly
        self._connection: Connection | None = None
        self._writes: WriteBehindConnection | None = None

    def __enter__(self) -> SqlUnitOfWork:
        try:
            connection = self._engine.connect()
            if self._readonly:
                connection = connection.execution_options(**readonly_options(connection))
            elif connection.dialect.name == "postgresql":  # hook: write-behind (write_behind.py)
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                self._writes = WriteBehindConnection(connection)
            connection.begin()
        except (OperationalError, DBAPIError) as exc:
            raise Unavailable("the database is unreachable") from exc
        if self._writes is not None:  # the repositories' statements go through it
            connection = cast(Connection, self._writes)
        self._connection = connection
        self.tenants = TenantRepository(connection)
        guards = GuardRepository(connection)
        self.guards = guards
        self.users = UserRepository(connection, guards)
        self.codes = CodeRepository(connection)
        self.captchas = CaptchaRepository(connection)
        self.questions = QuestionRepository(connection)
        self._sealer = self._sealer or sealer_for(self._engine)
        self.outbox = OutboxRepository(connection, self._sealer)
        self.accounts = AccountRepository(connection)
        self.sessions = SessionRepository(connection)
        self.audit = AuditRepository(connection)
        self.directory = DirectoryRepository(connection)
        self.imports = ImportRepository(connection)
        return self

    @property
    def connection(self) -> Connection:
        assert self._connection is not None, "use the unit of work in a with block"
        return self._connection

    def commit(self) -> None:
        try:
            (self._writes or self.connection).commit()
        except IntegrityError as exc:
            raise StoreConflict(str(exc.orig)) from exc
        except OperationalError as exc:
            raise Unavailable("the database failed during commit") from exc

    @contextmanager
    def savepoint(self, *, keep: bool) -> Iterator[None]:
        nested = self.connection.begin_nested()
        try:
            yield
        except BaseException:
            nested.rollback()
            raise
        if keep:
            nested.commit()
        else:
            nested.rollback()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        writes, self._writes = self._writes, None
        if connection is None:
            return
        try:
            (writes or connection).rollback()
        finally:
            connection.close()
        if isinstance(exc, OperationalError):
            raise Unavailable("the database is unreachable") from exc


def uow_factory(engine: Engine, sealer: Sealer | None = None) -> ports.UnitOfWorkFactory:
    """A callable making a fresh unit of work per use (``readonly=True`` for pure reads).
    ``sealer`` seals queued mail (default: keyed by the database's own key)."""
    sealer = sealer or sealer_for(engine)

    def make(readonly: bool = False) -> ports.UnitOfWork:
        return SqlUnitOfWork(engine, readonly, sealer)

    return make
