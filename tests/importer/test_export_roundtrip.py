"""`recovery-soap export` and `recovery-soap import jsonl`: a store written out and read into an
empty database writes out the same file again, and its migrated users log in with their legacy
passwords (password grant, subscriber authenticate) and recover by their answers over SOAP."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from recovery_soap.core.passwords import is_bare_legacy
from tests.conftest import LiveServer
from tests.importer.conftest import make_target, new_database
from tests.importer.support import cli, cli_json, fixture_script
from tests.importer.test_wso2_import import recover
from tests.rest.support import oauth_client, service_token, subscriber_call, token_response
from tests.soap.accounts import service_account

USERS = 24
DOMAIN = "moved.test"


def test_export_import_export_gives_the_same_file_and_users_log_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serve: Callable[..., LiveServer]
) -> None:
    script = fixture_script()
    users = script.plan_users(USERS, prefix="mv", answers_every=2, locked_every=10)
    source = f"sqlite:///{tmp_path / 'wso2.db'}"
    script.build(source, users, tenant_domain=DOMAIN)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    with new_database(tmp_path) as old, new_database(tmp_path) as new:
        make_target(monkeypatch, old)
        assert cli_json("import", "wso2", "--source", source)["created"] == USERS
        cli_json("rehash", "--batch-size", "5")  # some stored forms wrapped, ...
        make_target(monkeypatch, old)
        assert cli_json("export", "--out", str(first))["users"] == USERS

        make_target(monkeypatch, new)
        report = cli_json("import", "jsonl", "--file", str(first))
        assert (report["created"], report["skipped"]) == (USERS, 0)
        assert cli_json("import", "jsonl", "--file", str(first))["unchanged"] == USERS
        code, _, err = cli("export", "--out", str(second))
        assert code == 0, err
        assert second.read_bytes() == first.read_bytes()

        lines = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()]
        assert lines[0] == {"type": "header", "format": "recovery-soap-export", "version": 1}
        assert {line["domain"] for line in lines if line["type"] == "tenant"} >= {
            "carbon.super",
            DOMAIN,
        }
        assert not any(is_bare_legacy(u["password_hash"]) for u in lines if u["type"] == "user")

        live = serve(database_url=new, captcha_verification="off")
        plain = next(u for u in users if u.tenant_id == -1234 and not u.answers and not u.locked)
        client = oauth_client(live, "carbon.super")
        form = {"grant_type": "password", "username": plain.username, "password": plain.password}
        assert token_response(live, form, auth=client).status_code == 200
        other = next(u for u in users if u.tenant_id != -1234 and not u.locked)
        token = service_token(live, auth=oauth_client(live, DOMAIN))
        answer = subscriber_call(
            live,
            "authenticate",
            {"username": other.username, "password": other.password},
            token,
        )
        assert answer.status_code == 200 and answer.json()["authenticated"] is True
        with_answers = next(u for u in users if u.answers and not u.locked and u.tenant_id != -1234)
        bean = recover(
            live,
            live.client(auth=service_account(live, DOMAIN)),
            with_answers,
            with_answers.username,
        )
        assert bean.verified and bean.error is None
