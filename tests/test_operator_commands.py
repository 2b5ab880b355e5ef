"""The commands an operator expects: account list, user list with filters and pages, tenant
delete (refused with users unless forced), keys list with the signing key, JSON from every
listing and change, honest exit statuses."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import pytest

from tests.test_cli import run

EMAIL = "http://wso2.org/claims/emailaddress"


def _add_user(capsys, monkeypatch, name: str, tenant: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Good#Pass1234\n"))
    code, _ = run(
        capsys,
        "user",
        "add",
        name,
        "--tenant",
        tenant,
        "--password-stdin",
        "--claim",
        f"{EMAIL}={name}@example.test",
    )
    assert code == 0


def test_account_list(db: Path, capsys) -> None:
    assert run(capsys, "tenant", "add", "acme.test")[0] == 0
    assert (
        run(capsys, "account", "add", "shop", "--tenant", "acme.test", "--permissions", "view")[0]
        == 0
    )
    code, out = run(capsys, "account", "list", "--json")
    assert code == 0
    listed = {a["name"]: a for a in json.loads(out)}
    assert listed["shop"]["tenant"] == "acme.test"
    assert listed["shop"]["permissions"] == ["view"]
    assert "secret" not in out and "hash" not in out
    code, out = run(capsys, "account", "list")
    assert code == 0 and "shop  acme.test  view" in out


def test_user_list_filters_and_pages(db: Path, capsys, monkeypatch) -> None:
    assert run(capsys, "tenant", "add", "people.test")[0] == 0
    for name in ("ann", "anna", "bob"):
        _add_user(capsys, monkeypatch, name, "people.test")
    code, out = run(capsys, "user", "list", "--tenant", "people.test", "--json")
    assert code == 0
    page = json.loads(out)
    assert page["total"] == 3 and [u["username"] for u in page["users"]] == ["ann", "anna", "bob"]
    code, out = run(capsys, "user", "list", "--tenant", "people.test", "--starts-with", "an")
    assert code == 0 and "1-2 of 2 user(s)" in out and "bob" not in out
    code, out = run(
        capsys, "user", "list", "--tenant", "people.test", "--limit", "1", "--offset", "2", "--json"
    )
    assert [u["username"] for u in json.loads(out)["users"]] == ["bob"]
    code, out = run(
        capsys, "user", "list", "--tenant", "people.test", "--email", "anna@example.test"
    )
    assert "anna" in out and "1-1 of 1" in out
    assert run(capsys, "user", "list", "--tenant", "nowhere.test")[0] == 1


def test_tenant_delete_refuses_users_unless_forced(db: Path, capsys, monkeypatch) -> None:
    assert run(capsys, "tenant", "add", "gone.test")[0] == 0
    _add_user(capsys, monkeypatch, "carl", "gone.test")
    code, _ = run(capsys, "tenant", "delete", "gone.test")
    assert code == 1
    assert "gone.test" in json.loads(run(capsys, "tenant", "list", "--json")[1])[1]["domain"]
    code, out = run(capsys, "tenant", "delete", "gone.test", "--force", "--json")
    assert code == 0 and json.loads(out)["users_removed"] == 1
    domains = [t["domain"] for t in json.loads(run(capsys, "tenant", "list", "--json")[1])]
    assert "gone.test" not in domains
    assert run(capsys, "tenant", "delete", "carbon.super", "--force")[0] == 1
    audit = json.loads(run(capsys, "audit", "list", "--event", "tenant_deleted", "--json")[1])
    assert audit and audit[0]["tenant"] == "gone.test"


def test_keys_list_names_the_signing_key(db: Path, capsys) -> None:
    code, out = run(capsys, "keys", "list", "--json")
    assert code == 0
    first = json.loads(out)
    assert len(first) == 1 and first[0]["signing"] and first[0]["created_at"]
    assert run(capsys, "keys", "rotate")[0] == 0
    keys = json.loads(run(capsys, "keys", "list", "--json")[1])
    assert [k["signing"] for k in keys] == [True, False]
    assert keys[1]["kid"] == first[0]["kid"] and keys[1]["retired_at"]


@pytest.mark.parametrize(
    "argv",
    [
        ("db", "upgrade"),
        ("config",),
        ("tenant", "set", "carbon.super", "--notify-changes", "off"),
        ("outbox", "purge"),
        ("outbox", "retry"),
        ("outbox", "list"),
        ("tenant", "list"),
        ("questions", "list"),
    ],
)
def test_json_output(db: Path, capsys, argv: tuple[str, ...]) -> None:
    code, out = run(capsys, *argv, "--json")
    assert code == 0
    json.loads(out)


def test_every_option_has_help() -> None:
    from recovery_soap.cli import build_parser

    def walk(parser):
        for action in parser._actions:
            if action.option_strings and action.dest not in ("help",):
                yield parser.prog, action
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from walk(sub)

    parser = build_parser()
    missing = sorted({f"{prog} {a.option_strings[0]}" for prog, a in walk(parser) if not a.help})
    assert missing == []
