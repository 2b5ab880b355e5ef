"""`recovery-soap import csv`: plain, legacy and current password forms, claims, answers, locks;
skipped rows with their reasons; idempotent; a dry run writes nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from recovery_soap.cli import main
from recovery_soap.core.passwords import is_wrapped_legacy, legacy_digest, normalise_answer
from recovery_soap.store.db import make_engine
from tests.conftest import unique
from tests.importer.support import HASHER, cli, cli_json, snapshot, stored_user
from tests.importer.test_wso2_import import target_env

D = "http://wso2.org/claims"
SET1 = f"{D}/challengeQuestion1"
LOCKED = f"{D}/identity/accountLocked"
HEADER = [
    "username",
    "password",
    "password_hash",
    "password_salt",
    "email",
    "given_name",
    "last_name",
    f"{D}/telephone",
    SET1,
    LOCKED,
]
SALT = "c2FsdC12YWx1ZS0xMjM0NQ=="
Q1 = "City where you were born ?"


@pytest.fixture(autouse=True)
def _target(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    target_env(monkeypatch, database_url)


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def people(prefix: str) -> list[list[str]]:
    return [
        [
            f"{prefix}alice",
            "Plain#Pass123",
            "",
            "",
            "alice@example.test",
            "Alice",
            "Liddell",
            "+94 11 1234567",
            f"{Q1}!Colombo",
            "false",
        ],
        [
            f"{prefix}bob",
            "",
            legacy_digest("Bob#Legacy1", SALT),
            SALT,
            "bob@example.test",
            "Bob",
            "",
            "",
            f"{Q1}!{legacy_digest('kandy')}",
            "true",
        ],
        [f"{prefix}carol", "", HASHER.hash("Carol#Current1"), "", "", "", "", "", "", ""],
        [f"{prefix}dave", "short", "", "", "", "", "", "", "", ""],
        [f"{prefix}erin", "Plain#Pass123", HASHER.hash("x"), "", "", "", "", "", "", ""],
        ["", "Plain#Pass123", "", "", "", "", "", "", "", ""],
        [f"{prefix}alice", "Other#Pass123", "", "", "", "", "", "", "", ""],
        [f"{prefix}frank", "", "", "", "", "", "", "", "", ""],
        [f"{prefix}gina", "", "$2b$12$abcdefghijklmnopqrstuv", "", "", "", "", "", "", ""],
    ]


def test_csv_import_stores_every_form_and_skips_with_reasons(
    tmp_path: Path, database_url: str
) -> None:
    prefix, tenant = f"{unique('csv')}_", f"{unique('csv')}.test".replace("_", "-")
    file = write_csv(tmp_path / "users.csv", people(prefix))
    code, out, err = cli("import", "csv", "--file", str(file), "--tenant", tenant, "--json")
    assert code == 3 and "6 rows skipped" in err and "--allow-skips" in err
    report = json.loads(out)
    assert (report["read"], report["created"], report["updated"], report["unchanged"]) == (
        9,
        3,
        0,
        0,
    )
    reasons = report["skipped_reasons"]
    assert (
        reasons.pop("password refused by the policy: The password must be 8 to 64 characters long.")
        == 1
    )
    assert reasons == {
        "both password and password_hash given": 1,
        "no username": 1,
        "the same user appears twice in the source": 1,
        "no password": 1,
        "password hash in an unknown format": 1,
    }
    assert report["tenants_created"] == [tenant]

    engine = make_engine(database_url)
    try:
        alice = stored_user(engine, tenant, f"{prefix}alice")
        bob = stored_user(engine, tenant, f"{prefix}bob")
        carol = stored_user(engine, tenant, f"{prefix}carol")
        first = snapshot(engine, {tenant}, prefix)
        again = cli_json("import", "csv", "--file", str(file), "--tenant", tenant, "--allow-skips")
        assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
        assert snapshot(engine, {tenant}, prefix) == first
    finally:
        engine.dispose()

    assert HASHER.verify("Plain#Pass123", alice["row"].password_hash)
    assert not is_wrapped_legacy(alice["row"].password_hash)  # plain text: hashed directly
    assert alice["claims"] == {
        f"{D}/emailaddress": "alice@example.test",
        f"{D}/givenname": "Alice",
        f"{D}/lastname": "Liddell",
        f"{D}/telephone": "+94 11 1234567",
    }
    answer = alice["answers"][SET1]
    assert answer.question == Q1 and not is_wrapped_legacy(answer.answer_hash)
    assert HASHER.verify(normalise_answer(" COLOMBO"), answer.answer_hash)
    assert not alice["row"].locked

    assert bob["row"].locked and is_wrapped_legacy(bob["row"].password_hash)
    assert HASHER.verify_and_update("Bob#Legacy1", bob["row"].password_hash)[0]
    assert is_wrapped_legacy(bob["answers"][SET1].answer_hash)
    assert HASHER.verify(normalise_answer("Kandy "), bob["answers"][SET1].answer_hash)

    assert HASHER.verify("Carol#Current1", carol["row"].password_hash)


def test_csv_dry_run_writes_nothing(tmp_path: Path, database_url: str) -> None:
    prefix, tenant = f"{unique('csvdry')}_", f"{unique('csvdry')}.test".replace("_", "-")
    file = write_csv(tmp_path / "users.csv", people(prefix)[:3])
    report = cli_json("import", "csv", "--file", str(file), "--tenant", tenant, "--dry-run")
    assert (report["created"], report["dry_run"]) == (3, True)
    engine = make_engine(database_url)
    try:
        assert snapshot(engine, {tenant}, prefix)["users"] == []
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "header, message",
    [
        (["username", "password", "surname"], "unknown CSV columns ['surname']"),
        (["username", "email"], "needs a username column and a password"),
        ([], "header row"),
    ],
)
def test_bad_header_is_refused(tmp_path: Path, header: list[str], message: str) -> None:
    file = tmp_path / "users.csv"
    if header:
        write_csv(file, [], header)
    else:
        file.write_text("")
    code, out, err = cli("import", "csv", "--file", str(file))
    assert code == 1 and out == "" and message in err


def test_csv_help_documents_the_columns(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["import", "csv", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for column in (
        "username",
        "password_hash",
        "password_salt",
        "email",
        "given_name",
        "last_name",
        "challengeQuestion1",
        "identity/accountLocked",
    ):
        assert column in text
