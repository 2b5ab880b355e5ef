"""`recovery-soap import wso2` from the database servers WSO2 really ran on: MariaDB (WSO2's
MySQL DDL: UM_USER_ID, TIMESTAMP columns, composite keys) and PostgreSQL (unquoted, so lower-case
names), with lock state and answers in the attributes or in IDN_IDENTITY_USER_DATA; then a
re-import that picks up what changed in the source and nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from recovery_soap.core.passwords import legacy_digest
from recovery_soap.store.db import make_engine
from tests.conftest import unique
from tests.importer.support import HASHER, cli_json, fixture_script, stored_user
from tests.importer.test_wso2_import import EMAIL, SET1, SET2, SUPER, target_env

USERS = 30


@pytest.fixture(params=["mariadb", "postgresql"])
def source_url(request: pytest.FixtureRequest) -> str:
    fixture = "mariadb_url" if request.param == "mariadb" else "postgres_source_url"
    return str(request.getfixturevalue(fixture))


def quoted(url: str, name: str) -> str:
    return name.lower() if url.startswith("postgresql") else name


@pytest.mark.parametrize("identity_store", [False, True], ids=["attributes", "identity-store"])
def test_a_real_source_is_imported_and_reimported_by_what_changed(
    source_url: str, identity_store: bool, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target_env(monkeypatch, database_url)
    script = fixture_script()
    prefix, domain = f"{unique('src')}_", f"{unique('src')}.test".replace("_", "-")
    users = script.plan_users(USERS, prefix=prefix, answers_every=2, locked_every=10)
    postgres = source_url.startswith("postgresql")
    script.build(
        source_url, users, tenant_domain=domain, lower_case=postgres, identity_store=identity_store
    )
    first = cli_json("import", "wso2", "--source", source_url)
    second = cli_json("import", "wso2", "--source", source_url)
    assert (first["created"], first["skipped"]) == (USERS, 0)
    assert (second["unchanged"], second["updated"], second["created"]) == (USERS, 0, 0)

    engine = make_engine(database_url)
    with_answers, locked = users[0], next(u for u in users if u.locked)
    stored = stored_user(engine, SUPER, with_answers.username)
    assert stored["claims"][EMAIL] == f"{with_answers.username}@example.test"
    assert sorted(stored["answers"]) == [SET1, SET2]
    assert HASHER.verify(with_answers.password, stored["row"].password_hash)
    assert HASHER.verify("town 0", stored["answers"][SET1].answer_hash)
    locked_domain = SUPER if locked.tenant_id == -1234 else domain
    assert stored_user(engine, locked_domain, locked.username)["row"].locked

    # The source changes: a new password (new salt and time) and a lock.
    salt = "bmV3LXNhbHQ="
    source = create_engine(source_url)
    with source.begin() as connection:
        connection.execute(
            text(
                f"UPDATE {quoted(source_url, 'UM_USER')} SET "
                f"{quoted(source_url, 'UM_USER_PASSWORD')} = :p, "
                f"{quoted(source_url, 'UM_SALT_VALUE')} = :s, "
                f"{quoted(source_url, 'UM_CHANGED_TIME')} = '2024-01-01 00:00:00' "
                f"WHERE {quoted(source_url, 'UM_USER_NAME')} = :u"
            ),
            {"p": legacy_digest("Changed#InWso2", salt), "s": salt, "u": with_answers.username},
        )
    source.dispose()
    third = cli_json("import", "wso2", "--source", source_url)
    assert (third["updated"], third["unchanged"]) == (1, USERS - 1)
    row = stored_user(engine, SUPER, with_answers.username)["row"]
    assert HASHER.verify("Changed#InWso2", row.password_hash)
    engine.dispose()
