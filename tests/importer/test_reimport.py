"""Re-import at the cut-over: what changed in the source is updated (claims, answers), users
gone from the source are reported and removed only with --delete-missing, and users the service
created itself are never taken for gone."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from recovery_soap.core.passwords import legacy_digest
from recovery_soap.store.db import make_engine
from tests.conftest import unique
from tests.importer.support import HASHER, cli, cli_json, fixture_script, stored_user
from tests.importer.test_wso2_import import EMAIL, SET1, SUPER


def test_changed_claims_and_answers_are_updated_and_gone_users_reported(
    tmp_path: Path, fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a database of its own: whether users are gone is judged over the whole tenant."""
    script = fixture_script()
    prefix, domain = f"{unique('re')}_", f"{unique('re')}.test".replace("_", "-")
    users = script.plan_users(12, prefix=prefix, other_every=0)
    source = f"sqlite:///{tmp_path / 'wso2.db'}"
    script.build(source, users, tenant_domain=domain)
    assert cli_json("import", "wso2", "--source", source)["created"] == 12
    monkeypatch.setattr("sys.stdin", io.StringIO("Local#Pass1234\n"))
    assert cli("user", "add", "--tenant", SUPER, f"{prefix}local", "--password-stdin")[0] == 0

    changed, answered, gone = users[1], users[2], users[3]
    engine = create_engine(source)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE UM_USER_ATTRIBUTE SET UM_ATTR_VALUE = 'new@example.test' WHERE "
                "UM_ATTR_NAME = 'mail' AND UM_PROFILE_ID = 'default' AND UM_USER_ID = :id"
            ),
            {"id": changed.index + 1},
        )
        connection.execute(
            text(
                "UPDATE UM_USER_ATTRIBUTE SET UM_ATTR_VALUE = :v WHERE "
                "UM_ATTR_NAME = 'gender' AND UM_USER_ID = :id"
            ),
            {"v": f"{script.Q1}!{legacy_digest('new town')}", "id": answered.index + 1},
        )
        connection.execute(text("DELETE FROM UM_USER_ATTRIBUTE WHERE UM_USER_ID = :id"), {"id": 4})
        connection.execute(text("DELETE FROM UM_USER WHERE UM_ID = :id"), {"id": gone.index + 1})
    engine.dispose()

    report = cli_json("import", "wso2", "--source", source)
    assert (report["updated"], report["unchanged"], report["created"]) == (2, 9, 0)
    assert (report["missing"], report["deleted"]) == (1, 0)
    assert report["missing_examples"] == [f"{gone.username}@{SUPER}"]
    target = make_engine(fresh_database)
    assert stored_user(target, SUPER, changed.username)["claims"][EMAIL] == "new@example.test"
    answer = stored_user(target, SUPER, answered.username)["answers"][SET1]
    assert HASHER.verify("new town", answer.answer_hash)
    assert stored_user(target, SUPER, gone.username)["row"].username == gone.username

    dry = cli_json("import", "wso2", "--source", source, "--delete-missing", "--dry-run")
    assert dry["missing"] is None and dry["deleted"] == 0
    final = cli_json("import", "wso2", "--source", source, "--delete-missing")
    assert (final["missing"], final["deleted"], final["unchanged"]) == (1, 1, 11)
    with pytest.raises(Exception, match="No row was found"):
        stored_user(target, SUPER, gone.username)
    assert cli_json("import", "wso2", "--source", source)["missing"] == 0
    target.dispose()
