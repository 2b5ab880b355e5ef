"""Reading a WSO2 JDBC user store: UM_TENANT, UM_USER and UM_USER_ATTRIBUTE, any SQLAlchemy URL.

Table and column names are matched without regard to case (WSO2's DDL leaves them unquoted, so
PostgreSQL folds them to lower case). The super tenant has id -1234 and is usually absent from
UM_TENANT. Passwords are Base64(SHA-256(password + salt)) (``PasswordDigest=SHA-256``); only the
``default`` profile's attributes are read. When WSO2's identity data store was JDBC, identity
claims (lock state) and often challenge answers live in IDN_IDENTITY_USER_DATA, keyed by claim
URI; read when that table is present, they override what the attributes say.

Reads are pages in key order (UM_ID, UM_TENANT_ID), one short query each: memory stays constant
and no long transaction holds the source. Tested on SQLite, MariaDB/MySQL (PyMySQL) and
PostgreSQL sources.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    Table,
    and_,
    create_engine,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from recovery_soap.core.legacy_records import ImportRecord, LegacySecret, Skipped, split_claims
from recovery_soap.core.model import SUPER_TENANT
from recovery_soap.core.passwords import is_legacy_digest
from recovery_soap.importer import SourceError
from recovery_soap.importer.claim_map import DEFAULT_CLAIM_MAP, ClaimMap, claims_of

SUPER_TENANT_ID = -1234
DEFAULT_PROFILE = "default"
#: Users per IN (...) list when reading attributes (SQLite's old limit is 999 parameters).
ID_CHUNK = 500
NOT_A_DIGEST = "password is not a Base64 SHA-256 digest (PasswordDigest=SHA-256 expected)"


def displayed_url(url: str) -> str:
    """``url`` with its password hidden, for reports and logs."""
    return str(make_url(url).render_as_string(hide_password=True))


def _open(url: str) -> Engine:
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if not database or database == ":memory:" or not Path(database).is_file():
                raise SourceError(f"no SQLite file at {database or '(none)'}")
        return create_engine(parsed, hide_parameters=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise SourceError(f"cannot open the source database: {error}") from None


class Wso2Store:
    """Users of a WSO2 JDBC store as import records, in batches ordered by user id."""

    def __init__(
        self,
        url: str,
        *,
        claim_map: ClaimMap | None = None,
        tenant_map: Mapping[str, str] | None = None,
        batch_size: int = 500,
    ) -> None:
        self._engine = _open(url)
        self._claim_map = claim_map if claim_map is not None else dict(DEFAULT_CLAIM_MAP)
        self._tenant_map = {
            k.strip().lower(): v.strip().lower() for k, v in (tenant_map or {}).items()
        }
        self._batch_size = max(1, batch_size)
        try:
            self._reflect()
        except SourceError:
            self.close()
            raise
        except SQLAlchemyError as error:
            self.close()
            raise _unreadable(error) from None

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Wso2Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _reflect(self) -> None:
        present = {name.lower(): name for name in inspect(self._engine).get_table_names()}
        missing = [t for t in ("um_user", "um_user_attribute") if t not in present]
        if missing:
            raise SourceError(f"not a WSO2 JDBC user store: no table {', '.join(missing)}")
        metadata = MetaData()

        def table(name: str) -> Table:
            return Table(present[name], metadata, autoload_with=self._engine)

        self._users = table("um_user")
        self._attributes = table("um_user_attribute")
        self._tenant_table = table("um_tenant") if "um_tenant" in present else None
        identity = "idn_identity_user_data"
        self._identity = table(identity) if identity in present else None
        self._domains = self._read_domains()

    def _read_domains(self) -> dict[int, str]:
        domains = {SUPER_TENANT_ID: SUPER_TENANT}
        if self._tenant_table is not None:
            t = self._tenant_table
            with self._engine.connect() as connection:
                rows = connection.execute(select(_col(t, "UM_ID"), _col(t, "UM_DOMAIN_NAME")))
                domains.update({int(r[0]): str(r[1]).strip().lower() for r in rows if r[1]})
        return domains

    def count(self) -> int:
        """How many users the store holds (for progress)."""
        try:
            with self._engine.connect() as connection:
                return int(
                    connection.execute(select(func.count()).select_from(self._users)).scalar_one()
                )
        except SQLAlchemyError as error:
            raise _unreadable(error) from None

    def batches(self) -> Iterator[list[ImportRecord | Skipped]]:
        try:
            yield from self._batches()
        except SQLAlchemyError as error:
            raise _unreadable(error) from None

    def _batches(self) -> Iterator[list[ImportRecord | Skipped]]:
        u = self._users
        uid, tid = _col(u, "UM_ID"), _col(u, "UM_TENANT_ID")
        columns = (
            uid,
            tid,
            _col(u, "UM_USER_NAME"),
            _col(u, "UM_USER_PASSWORD"),
            _col(u, "UM_SALT_VALUE"),
            _col(u, "UM_CHANGED_TIME"),
        )
        last: tuple[Any, Any] | None = None
        while True:
            query = select(*columns).order_by(uid, tid).limit(self._batch_size)
            if last is not None:
                query = query.where(or_(uid > last[0], and_(uid == last[0], tid > last[1])))
            with self._engine.connect() as connection:
                rows = connection.execute(query).all()
                if not rows:
                    return
                attributes = self._read_attributes(connection, rows)
                identity = self._read_identity(connection, rows)
            last = (rows[-1][0], rows[-1][1])
            yield [
                self._record(
                    row,
                    attributes.get((row[0], row[1]), {}),
                    identity.get((int(row[1]), str(row[2])), {}),
                )
                for row in rows
            ]

    def _read_attributes(
        self, connection: Any, rows: Sequence[Any]
    ) -> dict[tuple[Any, Any], dict[str, str]]:
        a = self._attributes
        user_id, tenant_id = _col(a, "UM_USER_ID"), _col(a, "UM_TENANT_ID")
        name, value, profile = (
            _col(a, "UM_ATTR_NAME"),
            _col(a, "UM_ATTR_VALUE"),
            _col(a, "UM_PROFILE_ID"),
        )
        found: dict[tuple[Any, Any], dict[str, str]] = defaultdict(dict)
        ids = sorted({row[0] for row in rows})
        for start in range(0, len(ids), ID_CHUNK):
            query = (
                select(user_id, tenant_id, name, value)
                .where(user_id.in_(ids[start : start + ID_CHUNK]))
                .where(or_(profile.is_(None), profile == DEFAULT_PROFILE))
                .order_by(_col(a, "UM_ID"))
            )
            for r in connection.execute(query):
                if r[2] and r[3] is not None:
                    found[(r[0], r[1])][str(r[2])] = str(r[3])
        return found

    def _read_identity(
        self, connection: Any, rows: Sequence[Any]
    ) -> dict[tuple[int, str], dict[str, str]]:
        """Claims by (tenant id, username) from IDN_IDENTITY_USER_DATA (empty without it)."""
        found: dict[tuple[int, str], dict[str, str]] = defaultdict(dict)
        if self._identity is None:
            return found
        i = self._identity
        tenant_id, name = _col(i, "TENANT_ID"), _col(i, "USER_NAME")
        key, value = _col(i, "DATA_KEY"), _col(i, "DATA_VALUE")
        wanted = {(int(r[1]), str(r[2])) for r in rows}
        names = sorted({n for _, n in wanted})
        for start in range(0, len(names), ID_CHUNK):
            query = select(tenant_id, name, key, value).where(
                name.in_(names[start : start + ID_CHUNK])
            )
            for r in connection.execute(query):
                owner = (int(r[0]), str(r[1]))
                if owner in wanted and r[2] and r[3] is not None:
                    found[owner][str(r[2])] = str(r[3])
        return found

    def _record(
        self, row: Any, attributes: dict[str, str], identity: dict[str, str]
    ) -> ImportRecord | Skipped:
        tenant_id, username = int(row[1]), str(row[2])
        domain = self._domains.get(tenant_id)
        if domain is None:
            return Skipped(str(tenant_id), username, f"unknown tenant id {tenant_id}")
        target = self._tenant_map.get(domain, self._tenant_map.get(str(tenant_id), domain))
        if not target:
            return Skipped(domain, username, "tenant not imported (--tenant-map)")
        digest, salt = (row[3] or "").strip(), row[4] or ""
        if not is_legacy_digest(digest):
            return Skipped(target, username, NOT_A_DIGEST)
        claims = claims_of(self._claim_map, attributes)
        claims.update(identity)
        profile, answers, locked = split_claims(claims)
        return ImportRecord(
            tenant=target,
            username=username,
            password=LegacySecret(digest, salt),
            changed_at=_naive_utc(row[5]),
            locked=bool(locked),
            claims=profile,
            answers=answers,
        )


def _unreadable(error: SQLAlchemyError) -> SourceError:
    # The driver's first line (no bound parameters: the engine hides them).
    reason = str(getattr(error, "orig", None) or type(error).__name__).strip().splitlines()
    return SourceError(f"cannot read the source database: {reason[0] if reason else error}")


def _col(table: Table, name: str) -> Column[Any]:
    for column in table.columns:
        if column.name.lower() == name.lower():
            return column
    raise SourceError(f"not a WSO2 JDBC user store: {table.name} has no column {name}")


def _naive_utc(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
