"""`recovery-soap import wso2` on a WSO2-shaped SQLite store of a few thousand users, imported
twice into the run's database: counts, idempotence, claims, locks, legacy hashes wrapped (never
bare) and upgraded on their first success, and recovery through the live SOAP server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text, update

from recovery_soap.core.passwords import (
    BARE_SCHEME,
    bare_legacy,
    is_wrapped_legacy,
    legacy_digest,
)
from recovery_soap.importer.wso2 import NOT_A_DIGEST
from recovery_soap.store.db import make_engine
from recovery_soap.store.models import UserRow
from tests.conftest import FAST_HASH, LiveServer, _postgres_schema_url, unique
from tests.importer.support import (
    HASHER,
    cli,
    cli_json,
    fixture_script,
    snapshot,
    stored_user,
)
from tests.soap.accounts import service_account

USERS = 3000
SUPER = "carbon.super"
EMAIL = "http://wso2.org/claims/emailaddress"
GIVEN = "http://wso2.org/claims/givenname"
LAST = "http://wso2.org/claims/lastname"
GENDER = "http://wso2.org/claims/gender"
PHONE = "http://wso2.org/claims/telephone"
MOBILE = "http://wso2.org/claims/mobile"
SET1 = "http://wso2.org/claims/challengeQuestion1"
SET2 = "http://wso2.org/claims/challengeQuestion2"


@dataclass
class Imported:
    prefix: str
    domain: str
    users: list[Any]
    source: str
    engine: Engine
    reports: list[dict[str, Any]]
    snapshots: list[dict[str, Any]]
    taken: set[int] = field(default_factory=set)

    def domain_of(self, user: Any) -> str:
        return SUPER if user.tenant_id == -1234 else self.domain

    def pick(self, *, in_super: bool = True, answers: bool = True, locked: bool = False) -> Any:
        """A user no other test of this module has used, with these traits."""
        for user in self.users:
            if (
                user.index not in self.taken
                and (user.tenant_id == -1234) == in_super
                and bool(user.answers) == answers
                and user.locked == locked
            ):
                self.taken.add(user.index)
                return user
        raise AssertionError("no such user left in the fixture")


def target_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("RECOVERY_DATABASE_URL", database_url)
    monkeypatch.setenv("RECOVERY_ARGON2_MEMORY_KIB", str(FAST_HASH["argon2_memory_kib"]))
    monkeypatch.setenv("RECOVERY_ARGON2_TIME_COST", str(FAST_HASH["argon2_time_cost"]))


@pytest.fixture(autouse=True)
def _target(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    target_env(monkeypatch, database_url)


@pytest.fixture(scope="module")
def imported(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    script = fixture_script()
    prefix, domain = f"{unique('imp')}_", f"{unique('legacy')}.test".replace("_", "-")
    users = script.plan_users(USERS, prefix=prefix, answers_every=2, locked_every=10)
    source = f"sqlite:///{tmp_path_factory.mktemp('wso2') / 'wso2.db'}"
    script.build(source, users, tenant_domain=domain, broken=1)
    engine = make_engine(database_url)
    reports, snapshots = [], []
    with pytest.MonkeyPatch.context() as monkeypatch:
        target_env(monkeypatch, database_url)
        for _ in range(2):
            reports.append(
                cli_json(
                    "import", "wso2", "--source", source, "--batch-size", "400", "--allow-skips"
                )
            )
            snapshots.append(snapshot(engine, {SUPER, domain}, prefix))
    yield Imported(prefix, domain, users, source, engine, reports, snapshots)
    engine.dispose()


def test_first_import_creates_every_user_and_reports_the_one_it_cannot(imported) -> None:
    first = imported.reports[0]
    assert (first["read"], first["created"], first["updated"], first["unchanged"]) == (
        USERS + 1,
        USERS,
        0,
        0,
    )
    assert first["skipped"] == 1
    assert first["skipped_reasons"] == {NOT_A_DIGEST: 1}
    assert first["tenants_created"] == [imported.domain]
    assert len(imported.snapshots[0]["users"]) == USERS


def test_second_import_changes_nothing(imported) -> None:
    second = imported.reports[1]
    assert (second["read"], second["created"], second["updated"], second["unchanged"]) == (
        USERS + 1,
        0,
        0,
        USERS,
    )
    assert second["skipped"] == 1 and second["tenants_created"] == []
    assert imported.snapshots[1] == imported.snapshots[0]


def test_tenants_get_their_users_and_the_default_questions(imported) -> None:
    rows = imported.snapshots[0]["users"]
    in_tenant = sum(1 for r in rows if r["domain"] == imported.domain)
    assert in_tenant == sum(1 for u in imported.users if u.tenant_id != -1234) > 0
    assert len(rows) - in_tenant == sum(1 for u in imported.users if u.tenant_id == -1234)
    with imported.engine.connect() as connection:
        questions = connection.execute(
            text(
                "SELECT count(*) FROM challenge_questions q JOIN tenants t ON t.id = q.tenant_id "
                "WHERE t.domain = :d"
            ),
            {"d": imported.domain},
        ).scalar_one()
    assert questions == 8


def test_profile_claims_lock_and_answers_are_imported_by_claim(imported) -> None:
    script = fixture_script()
    with_answers = imported.users[0]  # index 0: answers, a telephone, not locked
    stored = stored_user(imported.engine, SUPER, with_answers.username)
    assert stored["claims"] == {
        EMAIL: f"{with_answers.username}@example.test",  # the default profile, not "work"
        GIVEN: "Given0",
        LAST: "Last0",
        PHONE: "+94 11 0000000",
    }  # gender and stateOrProvinceName held challenge data: no gender or state claim
    assert not stored["row"].locked
    assert sorted(stored["answers"]) == [SET1, SET2]
    assert stored["answers"][SET1].question == script.Q1
    assert stored["answers"][SET2].question == script.Q2

    plain = imported.users[1]  # no answers: its gender attribute is a gender
    stored = stored_user(imported.engine, imported.domain, plain.username)
    assert stored["claims"][GENDER] == plain.gender and stored["answers"] == {}

    locked = next(u for u in imported.users if u.locked)
    assert stored_user(imported.engine, imported.domain_of(locked), locked.username)["row"].locked


def test_legacy_hashes_are_copied_marked_with_their_scheme(imported) -> None:
    """No slow hash at import: each digest is stored as it is, marked, until `rehash` wraps it
    or its first successful check upgrades it."""
    source = create_engine(imported.source)
    with source.connect() as connection:
        digests = {
            r[0]: (r[1], r[2])
            for r in connection.execute(
                text("SELECT UM_USER_NAME, UM_USER_PASSWORD, UM_SALT_VALUE FROM UM_USER")
            )
        }
    source.dispose()
    rows = imported.snapshots[0]["users"]
    hashes = {r["username"]: r["password_hash"] for r in rows}
    for username, stored in hashes.items():
        digest, salt = digests[username]
        assert stored == bare_legacy(digest, salt)
    sample = imported.users[0]
    expected = bare_legacy(legacy_digest(f"town {sample.index}"))
    assert expected in {a["answer_hash"] for a in imported.snapshots[0]["answers"]}
    assert all(a["answer_hash"].startswith(BARE_SCHEME) for a in imported.snapshots[0]["answers"])


def test_legacy_password_verifies_and_is_upgraded_on_first_success(imported) -> None:
    user = imported.pick(answers=False)
    stored = stored_user(imported.engine, SUPER, user.username)["row"].password_hash
    assert HASHER.verify_and_update("wrong password", stored) == (False, None)
    ok, upgraded = HASHER.verify_and_update(user.password, stored)
    assert ok and upgraded is not None
    assert upgraded.startswith("$argon2id$") and not is_wrapped_legacy(upgraded)
    assert HASHER.verify_and_update(user.password, upgraded) == (True, None)


def recover(live: LiveServer, service: Any, user: Any, username: str) -> Any:
    """verifyUser -> getUserChallengeQuestions -> verifyUserChallengeAnswers (answers typed the
    way people type them: other case, spaces) -> updatePassword."""
    key = service.verifyUser(username=username, captcha=None)
    assert key.verified, key.error
    questions = service.getUserChallengeQuestions(userName=username, confirmation=key.key)
    assert questions.error is None, questions.error
    asked = [(q.id, q.question) for q in questions.userChallengesDTOs]
    assert asked == [(s, q) for s, q, _ in user.answers]
    answers = [{"id": s, "answer": f" {a.upper()} "} for s, _, a in user.answers]
    verified = service.verifyUserChallengeAnswers(
        userName=username, confirmation=questions.key, userChallengesDTOs=answers
    )
    assert verified.verified, verified.error
    return service.updatePassword(
        username=username, confirmationCode=verified.key, newPassword="Migrated#Pass789"
    )


@pytest.mark.parametrize("in_super", [True, False], ids=["super-tenant", "other-tenant"])
def test_imported_user_recovers_a_password_by_challenge_questions(
    imported, serve, in_super: bool
) -> None:
    live = serve(captcha_verification="off")
    user = imported.pick(in_super=in_super)
    domain = imported.domain_of(user)
    auth = None if in_super else service_account(live, domain)
    before = stored_user(imported.engine, domain, user.username)
    assert all(is_wrapped_legacy(a.answer_hash) for a in before["answers"].values())

    bean = recover(live, live.client(auth=auth), user, user.username)
    assert bean.verified and bean.error is None

    after = stored_user(imported.engine, domain, user.username)
    for set_id, answer in after["answers"].items():  # upgraded by the right answers
        assert answer.answer_hash != before["answers"][set_id].answer_hash
        assert answer.answer_hash.startswith("$argon2id$")
    password = after["row"].password_hash
    assert password.startswith("$argon2id$") and HASHER.verify("Migrated#Pass789", password)

    # Importing again keeps what the service owns now: the new password, the upgraded answers.
    report = cli_json("import", "wso2", "--source", imported.source, "--allow-skips")
    assert report["created"] == 0 and report["updated"] == 0
    again = stored_user(imported.engine, domain, user.username)
    assert again["row"].password_hash == password
    assert {k: a.answer_hash for k, a in again["answers"].items()} == {
        k: a.answer_hash for k, a in after["answers"].items()
    }


def test_one_right_answer_at_a_time_is_upgraded_and_a_wrong_one_is_not(imported, serve) -> None:
    live = serve(captcha_verification="off")
    service = live.client()
    user = imported.pick()
    before = stored_user(imported.engine, SUPER, user.username)["answers"]
    key = service.verifyUser(username=user.username, captcha=None).key
    ids = service.getUserChallengeQuestionIds(username=user.username, confirmation=key)
    asked = service.getUserChallengeQuestion(
        userName=user.username, confirmation=ids.key, questionId=SET1
    )
    wrong = service.verifyUserChallengeAnswer(
        userName=user.username, confirmation=asked.key, questionId=SET1, answer="Nowhere"
    )
    assert not wrong.verified
    assert stored_user(imported.engine, SUPER, user.username)["answers"] == before

    key = service.verifyUser(username=user.username, captcha=None).key
    ids = service.getUserChallengeQuestionIds(username=user.username, confirmation=key)
    asked = service.getUserChallengeQuestion(
        userName=user.username, confirmation=ids.key, questionId=SET1
    )
    right = service.verifyUserChallengeAnswer(
        userName=user.username, confirmation=asked.key, questionId=SET1, answer=f"town {user.index}"
    )
    assert right.verified, right.error
    after = stored_user(imported.engine, SUPER, user.username)["answers"]
    assert after[SET1].answer_hash.startswith("$argon2id$")
    assert after[SET2] == before[SET2]  # not answered yet: still the wrapped legacy digest


def test_locked_imported_user_cannot_start_a_recovery(imported, serve) -> None:
    live = serve(captcha_verification="off")
    user = imported.pick(answers=False, locked=True)
    bean = live.client().verifyUser(username=user.username, captcha=None)
    assert not bean.verified and bean.error.startswith("18013 ")


def test_changes_in_the_source_are_imported_again(imported) -> None:
    """A password changed in WSO2 (new salt and time) and a changed lock reach the store."""
    user = imported.pick(answers=False)
    salt = "bmV3LXNhbHQtdmFsdWU="
    source = create_engine(imported.source)
    with source.begin() as connection:
        connection.execute(
            text(
                "UPDATE UM_USER SET UM_USER_PASSWORD = :p, UM_SALT_VALUE = :s, "
                "UM_CHANGED_TIME = '2024-01-01 00:00:00.000000' WHERE UM_USER_NAME = :u"
            ),
            {"p": legacy_digest("Changed#InWso2", salt), "s": salt, "u": user.username},
        )
        connection.execute(
            text(
                "UPDATE UM_USER_ATTRIBUTE SET UM_ATTR_VALUE = 'true' WHERE UM_ATTR_NAME = "
                "'accountLock' AND UM_USER_ID = (SELECT UM_ID FROM UM_USER WHERE UM_USER_NAME = :u)"
            ),
            {"u": user.username},
        )
    source.dispose()
    report = cli_json("import", "wso2", "--source", imported.source, "--allow-skips")
    assert report["updated"] == 1 and report["created"] == 0
    stored = stored_user(imported.engine, SUPER, user.username)["row"]
    assert stored.locked
    assert HASHER.verify("Changed#InWso2", stored.password_hash)
    assert not HASHER.verify(user.password, stored.password_hash)


def test_dry_run_writes_nothing(tmp_path: Path, database_url: str) -> None:
    script = fixture_script()
    prefix, domain = f"{unique('dry')}_", f"{unique('dry')}.test".replace("_", "-")
    source = f"sqlite:///{tmp_path / 'wso2.db'}"
    script.build(source, script.plan_users(30, prefix=prefix), tenant_domain=domain)
    report = cli_json("import", "wso2", "--source", source, "--dry-run")
    assert (report["dry_run"], report["created"], report["tenants_created"]) == (True, 30, [domain])
    engine = make_engine(database_url)
    try:
        assert snapshot(engine, {SUPER, domain}, prefix)["users"] == []
        with engine.connect() as connection:
            assert (
                connection.execute(
                    text("SELECT count(*) FROM tenants WHERE domain = :d"), {"d": domain}
                ).scalar_one()
                == 0
            )
    finally:
        engine.dispose()


def test_tenant_map_renames_or_leaves_out_tenants(tmp_path: Path, database_url: str) -> None:
    script = fixture_script()
    prefix = f"{unique('map')}_"
    legacy, renamed = "legacy-acme.com", f"{unique('renamed')}.test".replace("_", "-")
    source = f"sqlite:///{tmp_path / 'wso2.db'}"
    users = script.plan_users(30, prefix=prefix)
    script.build(source, users, tenant_domain=legacy)
    report = cli_json(
        "import",
        "wso2",
        "--source",
        source,
        "--tenant-map",
        f"{legacy}={renamed},carbon.super=",
        "--allow-skips",
    )
    in_super = sum(1 for u in users if u.tenant_id == -1234)
    assert report["created"] == 30 - in_super
    assert report["skipped_reasons"] == {"tenant not imported (--tenant-map)": in_super}
    assert report["tenants_created"] == [renamed]


@pytest.mark.postgres
def test_a_postgresql_source_is_read(database_url: str) -> None:
    """WSO2 on PostgreSQL: unquoted DDL, so lower-case tables, in a schema of its own."""
    script = fixture_script()
    prefix, domain = f"{unique('pgsrc')}_", f"{unique('pgsrc')}.test".replace("_", "-")
    schemas = _postgres_schema_url()
    source = next(schemas)
    try:
        users = script.plan_users(20, prefix=prefix)
        script.build(source, users, tenant_domain=domain, lower_case=True)
        first = cli_json("import", "wso2", "--source", source)
        second = cli_json("import", "wso2", "--source", source)
    finally:
        for _ in schemas:
            pass
    assert (first["created"], second["unchanged"], second["updated"]) == (20, 20, 0)
    engine = make_engine(database_url)
    try:
        stored = stored_user(engine, SUPER, users[0].username)
    finally:
        engine.dispose()
    assert stored["claims"][EMAIL] == f"{users[0].username}@example.test"
    assert sorted(stored["answers"]) == [SET1, SET2]
    assert HASHER.verify(users[0].password, stored["row"].password_hash)


def test_lower_case_tables_and_a_claim_map_file(tmp_path: Path, database_url: str) -> None:
    """PostgreSQL folds WSO2's unquoted names to lower case; a TOML map moves an attribute."""
    script = fixture_script()
    prefix, domain = f"{unique('pg')}_", f"{unique('pg')}.test".replace("_", "-")
    source = f"sqlite:///{tmp_path / 'wso2.db'}"
    script.build(
        source, script.plan_users(10, prefix=prefix), tenant_domain=domain, lower_case=True
    )
    claim_map = tmp_path / "claims.toml"
    claim_map.write_text(f'telephoneNumber = "{MOBILE}"\nsn = []\n')
    report = cli_json("import", "wso2", "--source", source, "--claim-map", str(claim_map))
    assert report["created"] == 10
    engine = make_engine(database_url)
    try:
        claims = stored_user(engine, SUPER, f"{prefix}000000")["claims"]
    finally:
        engine.dispose()
    assert claims[MOBILE] == "+94 11 0000000" and PHONE not in claims and LAST not in claims


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: None, "no SQLite file"),
        (lambda p: p.write_bytes(b""), "not a WSO2 JDBC user store"),
    ],
    ids=["missing", "empty"],
)
def test_unreadable_sources_fail_with_a_message(tmp_path: Path, make, expected: str) -> None:
    path = tmp_path / "source.db"
    make(path)
    code, out, err = cli("import", "wso2", "--source", f"sqlite:///{path}")
    assert code == 1 and out == "" and expected in err


def test_bad_claim_map_is_refused(tmp_path: Path) -> None:
    claim_map = tmp_path / "claims.json"
    claim_map.write_text('{"mail": "emailaddress"}')
    code, _, err = cli(
        "import", "wso2", "--source", "sqlite:///x.db", "--claim-map", str(claim_map)
    )
    assert code == 1 and "not a claim URI" in err


def test_source_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOVERY_IMPORT_SOURCE", raising=False)
    assert cli("import", "wso2")[0] == 2


def test_import_keeps_a_password_changed_meanwhile(imported) -> None:
    """A password the service set replaces the wrap; a later import must not bring it back."""
    user = imported.pick(answers=False)
    new_hash = HASHER.hash("Set#ByTheService1")
    with imported.engine.begin() as connection:
        connection.execute(
            update(UserRow).where(UserRow.username == user.username).values(password_hash=new_hash)
        )
    cli_json("import", "wso2", "--source", imported.source, "--allow-skips")
    assert stored_user(imported.engine, SUPER, user.username)["row"].password_hash == new_hash
