"""Reading users from an LDIF export of an LDAP directory or Active Directory (WSO2's default
primary user store was an LDAP), streamed entry by entry.

An entry with the username attribute (``uid`` by default; ``sAMAccountName`` for AD) is a user;
other entries (organisational units, groups) are passed over. Attributes become claims through
the same attribute map as the JDBC import (names compared without regard to case, the first
value of a multi-valued attribute). ``userPassword`` in {SSHA}, {SHA}, {SSHA256}, {SSHA512} or
{CRYPT} (bcrypt ``$2y$``/``$2b$``, SHA-crypt ``$6$``/``$5$``) is kept as it is and verified and
upgraded on first use; a password without a scheme is taken as clear text. The account is locked
when the claim map's lock attribute says so, when OpenLDAP's ``pwdAccountLockedTime`` is set, or
when Active Directory's ``userAccountControl`` has the ACCOUNTDISABLE bit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ldif import LDIFParser

from recovery_soap.core.legacy_records import (
    HashedSecret,
    ImportRecord,
    PlainSecret,
    Secret,
    Skipped,
    split_claims,
)
from recovery_soap.core.model import SUPER_TENANT
from recovery_soap.core.passwords import LDAP_SCHEME, is_ldap_password
from recovery_soap.importer.claim_map import DEFAULT_CLAIM_MAP, ClaimMap, claims_of
from recovery_soap.importer.user_file import UserFile

ACCOUNT_DISABLE = 0x2
_SCHEME = re.compile(r"^\{([A-Za-z0-9._-]+)\}")


class LdifUsers(UserFile):
    """The user entries of one LDIF file as import records, in batches."""

    unreadable = (ValueError, UnicodeDecodeError)
    described_as = " as LDIF"

    def __init__(
        self,
        path: str | Path,
        *,
        tenant: str = SUPER_TENANT,
        claim_map: ClaimMap | None = None,
        username_attribute: str = "uid",
        batch_size: int = 1000,
    ) -> None:
        super().__init__(path, tenant=tenant, batch_size=batch_size)
        chosen = claim_map if claim_map is not None else DEFAULT_CLAIM_MAP
        self._claim_map = {name.lower(): claims for name, claims in chosen.items()}
        self._username = username_attribute.lower()
        with self._open("rb") as file:
            self._total = sum(1 for line in file if line[:3].lower() == b"dn:")

    def _records(self) -> Iterator[ImportRecord | Skipped]:
        with self._open("rb") as file:
            for _dn, entry in LDIFParser(file, strict=False).parse():
                attributes = {name.lower(): values for name, values in entry.items()}
                if attributes.get(self._username):  # otherwise an organisational unit, a group
                    yield self._record(attributes)

    def _record(self, attributes: dict[str, list[Any]]) -> ImportRecord | Skipped:
        username = _text(attributes[self._username][0]).strip()
        passwords = attributes.get("userpassword") or []
        if not passwords:
            return Skipped(self._tenant, username, "no userPassword")
        password = _password(_text(passwords[0]).strip())
        if isinstance(password, str):
            return Skipped(self._tenant, username, password)
        first = {name: _text(values[0]) for name, values in attributes.items() if values}
        profile, answers, locked = split_claims(claims_of(self._claim_map, first))
        return ImportRecord(
            tenant=self._tenant,
            username=username,
            password=password,
            locked=bool(locked) or _locked(first),
            claims=profile,
            answers=answers,
        )


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _password(value: str) -> Secret | str:
    """The userPassword as a secret, or why it cannot be imported."""
    scheme = _SCHEME.match(value)
    if scheme is None:
        return PlainSecret(value) if value else "empty userPassword"
    if scheme.group(1).upper() == "CLEARTEXT":
        return PlainSecret(value[scheme.end() :])
    if not is_ldap_password(value):
        return f"userPassword scheme {{{scheme.group(1)}}} is not supported"
    return HashedSecret(LDAP_SCHEME + value)


def _locked(attributes: dict[str, str]) -> bool:
    if attributes.get("pwdaccountlockedtime"):
        return True
    control = attributes.get("useraccountcontrol", "0").strip()
    return control.isdigit() and bool(int(control) & ACCOUNT_DISABLE)
