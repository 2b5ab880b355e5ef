"""`recovery-soap rehash`: every bare imported digest wrapped in argon2id by several processes,
resumable after an interruption, never overwriting a hash the service upgraded meanwhile; and
`doctor` saying how many remain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from recovery_soap.core.passwords import LEGACY_SCHEME, is_bare_legacy
from recovery_soap.importer.rehash import Rehasher
from recovery_soap.store.db import make_engine
from recovery_soap.store.models import AnswerRow, UserRow
from tests.conftest import FAST_HASH
from tests.importer.support import HASHER, cli, cli_json, fixture_script

USERS = 40
PARAMS = (FAST_HASH["argon2_memory_kib"], FAST_HASH["argon2_time_cost"])


@pytest.fixture
def source(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'wso2.db'}"


@pytest.fixture
def imported(fresh_database: str, source: str) -> tuple[str, list[Any]]:
    script = fixture_script()
    users = script.plan_users(USERS, prefix="rh", answers_every=2)
    script.build(source, users, tenant_domain="rehash.test")
    assert cli_json("import", "wso2", "--source", source)["created"] == USERS
    return fresh_database, users


def hashes(url: str) -> tuple[dict[str, str], list[str]]:
    engine = make_engine(url)
    with engine.connect() as connection:
        users = dict(connection.execute(select(UserRow.username, UserRow.password_hash)).all())
        answers = list(connection.execute(select(AnswerRow.answer_hash)).scalars())
    engine.dispose()
    return users, answers


def doctor_note(url: str) -> str:
    code, out, _ = cli("doctor", "--json")
    return next(f["message"] for f in json.loads(out) if f["name"] == "legacy hashes")


def test_rehash_wraps_every_bare_digest_and_doctor_counts_them(imported, source: str) -> None:
    url, users = imported
    answers = sum(len(u.answers) for u in users)
    assert doctor_note(url).startswith(f"{USERS} passwords and {answers} answers are bare")
    report = cli_json("rehash", "--workers", "2", "--batch-size", "7")
    assert report == {"wrapped": USERS + answers, "passwords_left": 0, "answers_left": 0}
    passwords, stored_answers = hashes(url)
    assert all(h.startswith(LEGACY_SCHEME) for h in [*passwords.values(), *stored_answers])
    assert HASHER.verify(users[3].password, passwords[users[3].username])
    assert doctor_note(url).startswith("none")
    assert cli_json("rehash")["wrapped"] == 0
    again = cli_json("import", "wso2", "--source", source)  # wrapped digests still match
    assert (again["unchanged"], again["updated"]) == (USERS, 0)


def test_an_interrupted_rehash_continues_where_it_stopped(imported) -> None:
    url, _users = imported
    engine = make_engine(url)

    def stop_after_first_page(done: int) -> None:
        raise KeyboardInterrupt

    first = Rehasher(engine, PARAMS, workers=2, page_size=10, progress=stop_after_first_page)
    with pytest.raises(KeyboardInterrupt):
        first.run()
    left = first.remaining()
    assert left[0] == USERS - 10
    second = Rehasher(engine, PARAMS, workers=2, page_size=10)
    second.run()
    assert second.remaining() == (0, 0) and second.done == sum(left)
    engine.dispose()


def test_a_hash_the_service_upgraded_meanwhile_is_kept(
    imported, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, users = imported
    engine = make_engine(url)
    upgraded = HASHER.hash(users[0].password)
    submit = Rehasher._submit

    def login_then_submit(self: Rehasher, pool: Any, page: Any) -> Any:
        with engine.begin() as connection:  # a login upgrading the hash after the page is read
            connection.execute(
                update(UserRow)
                .where(UserRow.username == users[0].username)
                .values(password_hash=upgraded)
            )
        return submit(self, pool, page)

    monkeypatch.setattr(Rehasher, "_submit", login_then_submit)
    Rehasher(engine, PARAMS, workers=1).run()
    passwords, _ = hashes(url)
    assert passwords[users[0].username] == upgraded
    assert not any(is_bare_legacy(h) for h in passwords.values())
    engine.dispose()
