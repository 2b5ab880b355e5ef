"""Reading users from a CSV file (UTF-8, comma-separated, a header row).

Columns: ``username`` (required); ``password`` (in clear, hashed at import, checked against the
password policy) or ``password_hash`` (an argon2 hash, or a WSO2 Base64 SHA-256 digest with its
salt in ``password_salt``); ``email``, ``given_name``, ``last_name``; and any claim URI, such as
``http://wso2.org/claims/telephone``. A challenge-set column
(``http://wso2.org/claims/challengeQuestion1``) holds ``question!answer`` or ``question!digest``;
``http://wso2.org/claims/identity/accountLocked`` holds true or false. Empty cells are not set.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from recovery_soap.core.claims import EMAIL, GIVEN_NAME
from recovery_soap.core.legacy_records import (
    HashedSecret,
    ImportRecord,
    LegacySecret,
    PlainSecret,
    Secret,
    Skipped,
    split_claims,
)
from recovery_soap.core.model import SUPER_TENANT
from recovery_soap.core.passwords import is_legacy_digest
from recovery_soap.importer import SourceError
from recovery_soap.importer.user_file import UserFile

LAST_NAME = "http://wso2.org/claims/lastname"
#: Friendly column names for the usual claims.
NAMED_CLAIMS = {"email": EMAIL, "given_name": GIVEN_NAME, "last_name": LAST_NAME}
ACCOUNT_COLUMNS = ("username", "password", "password_hash", "password_salt")
FORMAT_HELP = (
    "CSV (UTF-8, header row). Columns: username (required); password (clear text, hashed at "
    "import) or password_hash (argon2, or a WSO2 Base64 SHA-256 digest with password_salt); "
    "email, given_name, last_name; any claim URI column, e.g. "
    "http://wso2.org/claims/telephone; challenge sets as "
    "http://wso2.org/claims/challengeQuestion1 = 'question!answer' (or 'question!digest'); "
    "http://wso2.org/claims/identity/accountLocked = true|false. Empty cells are not set."
)


class CsvUsers(UserFile):
    """The users of one CSV file as import records, in batches."""

    unreadable = (UnicodeDecodeError, csv.Error)

    def __init__(
        self, path: str | Path, *, tenant: str = SUPER_TENANT, batch_size: int = 500
    ) -> None:
        super().__init__(path, tenant=tenant, batch_size=batch_size)
        with self._csv() as file:
            header = next(csv.reader(file), None)
            self._columns = _check_header(header)
            self._total = sum(1 for row in csv.reader(file) if any(c.strip() for c in row))

    def _csv(self) -> IO[str]:
        return self._open(encoding="utf-8-sig", newline="")

    def _records(self) -> Iterator[ImportRecord | Skipped]:
        with self._csv() as file:
            rows = csv.reader(file)
            next(rows, None)  # the header, read in __init__
            for values in rows:
                if any(v.strip() for v in values):
                    yield self._record(dict(zip(self._columns, values, strict=False)))

    def _record(self, row: dict[str, str]) -> ImportRecord | Skipped:
        def cell(name: str) -> str:
            return row.get(name, "").strip()

        username = cell("username")
        if not username:
            return Skipped(self._tenant, "(empty)", "no username")
        password = _password(cell("password"), cell("password_hash"), row.get("password_salt"))
        if isinstance(password, str):
            return Skipped(self._tenant, username, password)
        claims = {
            NAMED_CLAIMS.get(column, column): cell(column)
            for column in self._columns
            if column not in ACCOUNT_COLUMNS and cell(column)
        }
        profile, answers, locked = split_claims(claims)
        return ImportRecord(
            tenant=self._tenant,
            username=username,
            password=password,
            locked=locked,
            claims=profile,
            answers=answers,
        )


def _password(plain: str, hashed: str, salt: str | None) -> Secret | str:
    """The row's password, or why the row has none."""
    if plain and hashed:
        return "both password and password_hash given"
    if plain:
        return PlainSecret(plain)
    if not hashed:
        return "no password"
    if is_legacy_digest(hashed):
        return LegacySecret(hashed, salt or "")
    return HashedSecret(hashed)


def _check_header(header: list[str] | None) -> list[str]:
    if not header:
        raise SourceError("the CSV file is empty: a header row is needed")
    columns = [c.strip() for c in header]
    unknown = [
        c for c in columns if c not in ACCOUNT_COLUMNS and c not in NAMED_CLAIMS and "://" not in c
    ]
    if unknown:
        raise SourceError(
            f"unknown CSV columns {unknown}: expected {', '.join(ACCOUNT_COLUMNS)}, "
            f"{', '.join(NAMED_CLAIMS)} or claim URIs"
        )
    if "username" not in columns or not {"password", "password_hash"} & set(columns):
        raise SourceError(
            "the CSV file needs a username column and a password or password_hash column"
        )
    if len(set(columns)) != len(columns):
        raise SourceError("the CSV header names a column twice")
    return columns
