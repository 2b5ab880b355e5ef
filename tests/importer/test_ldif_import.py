"""`recovery-soap import ldif`: users of an LDAP/AD export with their userPassword in every
scheme a directory uses, verified as they are and upgraded to argon2id on first success."""

from __future__ import annotations

import base64
from pathlib import Path

import bcrypt
import pytest
from passlib.hash import (
    ldap_salted_sha1,
    ldap_salted_sha256,
    ldap_salted_sha512,
    ldap_sha1,
    sha512_crypt,
)

from recovery_soap.core.passwords import LDAP_SCHEME
from recovery_soap.store.db import make_engine
from tests.conftest import unique
from tests.importer.support import HASHER, cli, cli_json, stored_user
from tests.importer.test_wso2_import import EMAIL, GIVEN, target_env

PASSWORD = "Directory#Pass1"


def bcrypt_2y(secret: str) -> str:
    hashed = bcrypt.hashpw(secret.encode(), bcrypt.gensalt(4)).decode()
    return "{CRYPT}$2y$" + hashed[4:]


HASHES = {
    "ssha": ldap_salted_sha1.hash(PASSWORD),
    "sha": ldap_sha1.hash(PASSWORD),
    "ssha256": ldap_salted_sha256.hash(PASSWORD),
    "ssha512": ldap_salted_sha512.hash(PASSWORD),
    "bcrypt": bcrypt_2y(PASSWORD),
    "sha512crypt": "{CRYPT}" + sha512_crypt.using(rounds=5000).hash(PASSWORD),
}


def entry(uid: str, *lines: str) -> str:
    return "\n".join([f"dn: uid={uid},ou=People,dc=example,dc=test", f"uid: {uid}", *lines, ""])


def ldif(prefix: str) -> str:
    people = [
        entry(
            f"{prefix}{name}",
            "objectClass: inetOrgPerson",
            f"userPassword:: {base64.b64encode(hashed.encode()).decode()}",
            f"mail: {prefix}{name}@example.test",
            f"givenName:: {base64.b64encode('Zoë'.encode()).decode()}",
        )
        for name, hashed in HASHES.items()
    ]
    people += [
        entry(f"{prefix}plain", f"userPassword: {PASSWORD}"),
        entry(f"{prefix}locked", f"userPassword: {HASHES['ssha']}", "pwdAccountLockedTime: 2024"),
        entry(f"{prefix}disabled", f"userPassword: {HASHES['ssha']}", "userAccountControl: 514"),
        entry(f"{prefix}md5", "userPassword: {MD5}X03MO1qnZdYdgyfeuILPmQ=="),
        entry(f"{prefix}nopass", "mail: nobody@example.test"),
    ]
    top = [
        "version: 1",
        "",
        "dn: ou=People,dc=example,dc=test",
        "objectClass: organizationalUnit",
        "ou: People",
        "",
    ]
    return "\n".join(top) + "\n" + "\n".join(people)


def test_every_directory_scheme_imports_verifies_and_upgrades(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target_env(monkeypatch, database_url)
    prefix, tenant = f"{unique('ldap')}_", f"{unique('ldap')}.test".replace("_", "-")
    file = tmp_path / "people.ldif"
    file.write_text(ldif(prefix), encoding="utf-8")
    code, _, err = cli("import", "ldif", str(file), "--tenant", tenant)
    assert code == 3 and "2 rows skipped" in err
    report = cli_json("import", "ldif", str(file), "--tenant", tenant, "--allow-skips")
    assert (report["read"], report["unchanged"], report["skipped"]) == (11, 9, 2)
    assert report["skipped_reasons"] == {
        "userPassword scheme {MD5} is not supported": 1,
        "no userPassword": 1,
    }

    engine = make_engine(database_url)
    for name, hashed in HASHES.items():
        stored = stored_user(engine, tenant, f"{prefix}{name}")
        assert stored["row"].password_hash == LDAP_SCHEME + hashed
        assert stored["claims"][EMAIL] == f"{prefix}{name}@example.test"
        assert stored["claims"][GIVEN] == "Zoë" and not stored["row"].locked
        assert HASHER.verify_and_update("Wrong#Pass123", stored["row"].password_hash) == (
            False,
            None,
        )
        ok, upgraded = HASHER.verify_and_update(PASSWORD, stored["row"].password_hash)
        assert ok and upgraded is not None and upgraded.startswith("$argon2id$"), name
    plain = stored_user(engine, tenant, f"{prefix}plain")["row"]
    assert plain.password_hash.startswith("$argon2id$") and HASHER.verify(
        PASSWORD, plain.password_hash
    )
    assert stored_user(engine, tenant, f"{prefix}locked")["row"].locked
    assert stored_user(engine, tenant, f"{prefix}disabled")["row"].locked
    engine.dispose()
