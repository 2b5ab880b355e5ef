"""The command line, run in-process on a temporary SQLite database (and `serve` as a process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recovery_soap.cli import main
from recovery_soap.soap.wsdl import render_wsdl
from recovery_soap.store import schema
from tests.support import envelope, free_port, post_envelope, wait_until_up


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_db_upgrade_creates_the_schema(db: Path, capsys) -> None:
    code, out = run(capsys, "db", "upgrade")
    assert code == 0
    assert f"revision {schema.head_revision()}" in out
    assert db.exists()


def test_tenant_add_and_list(db: Path, capsys) -> None:
    assert run(capsys, "tenant", "add", "acme.test")[0] == 0
    code, out = run(capsys, "tenant", "list", "--json")
    assert code == 0
    assert [t["domain"] for t in json.loads(out)] == ["carbon.super", "acme.test"]
    code, _ = run(capsys, "tenant", "add", "acme.test")
    assert code == 1  # exists already


def test_questions_list_and_add(db: Path, capsys) -> None:
    code, out = run(capsys, "questions", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 8
    assert (
        run(
            capsys,
            "questions",
            "add",
            "http://wso2.org/claims/challengeQuestion3",
            "Name of your first school ?",
        )[0]
        == 0
    )
    _, out = run(capsys, "questions", "list", "--json")
    assert {
        "set": "http://wso2.org/claims/challengeQuestion3",
        "question": "Name of your first school ?",
    } in json.loads(out)


def test_user_add_and_set_answers(db: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("Secret#pass1\n"))
    code, _ = run(
        capsys,
        "user",
        "add",
        "bob",
        "--password-stdin",
        "--claim",
        "http://wso2.org/claims/emailaddress=bob@example.test",
    )
    assert code == 0
    code, out = run(
        capsys,
        "user",
        "set-answers",
        "bob",
        "--answer",
        "http://wso2.org/claims/challengeQuestion1=Favorite food ?!Pizza",
    )
    assert code == 0 and "1 challenge answer" in out
    code, _ = run(
        capsys,
        "user",
        "set-answers",
        "bob",
        "--answer",
        "http://wso2.org/claims/challengeQuestion1=Not a question ?!x",
    )
    assert code == 1


def test_account_add_prints_a_generated_secret_once(db: Path, capsys) -> None:
    code, out = run(capsys, "account", "add", "app", "--permissions", "recover,view", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["name"] == "app" and len(data["password"]) >= 32


def test_outbox_list_on_an_empty_outbox(db: Path, capsys) -> None:
    code, out = run(capsys, "outbox", "list")
    assert code == 0 and "empty" in out


def test_wsdl_prints_the_served_document(db: Path, capsys) -> None:
    code, out = run(capsys, "wsdl")
    assert code == 0
    assert out.encode() == render_wsdl()


def test_bad_setting_is_a_usage_error(db: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("RECOVERY_CAPTCHA_VERIFICATION", "sometimes")
    assert main(["tenant", "list"]) == 2


def test_serve_bootstraps_an_account_and_answers(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "RECOVERY_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "RECOVERY_CAPTCHA_VERIFICATION": "off",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "recovery_soap.cli",
            "serve",
            "--port",
            str(port),
            "--bootstrap-account",
            "boot:boot-secret-0123456789",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base)
        answer = post_envelope(
            base, envelope("getAllChallengeQuestions"), auth=("boot", "boot-secret-0123456789")
        )
        assert answer.status_code == 200
        assert b"Favorite sport ?" in answer.content
        refused = post_envelope(
            base, envelope("getAllChallengeQuestions"), auth=("boot", "wrong-secret-0123456789")
        )
        assert refused.status_code == 401
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    # The bootstrap account existed, so no demo account and no password was printed.
    assert "boot-secret" not in output
    assert "shown only this once" not in output


def test_serve_creates_a_demo_account_on_first_start(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "RECOVERY_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "recovery_soap.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Serving on" in line:
                break
        secret = next(line.strip() for line in lines if line.startswith("    "))
        wait_until_up(f"http://127.0.0.1:{port}")
        answer = post_envelope(
            f"http://127.0.0.1:{port}", envelope("getAllChallengeQuestions"), auth=("demo", secret)
        )
        assert answer.status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_tenant_set_and_audit_list(db: Path, capsys) -> None:
    assert run(capsys, "tenant", "add", "audit.test")[0] == 0
    assert run(capsys, "tenant", "set", "audit.test", "--notify-changes", "off")[0] == 0
    code, out = run(capsys, "audit", "list", "--json")
    assert code == 0 and json.loads(out) == []


def test_audit_list_shows_events_with_filters(db: Path, capsys) -> None:
    from recovery_soap.app import build_services, prepare_database
    from recovery_soap.config import load_settings
    from recovery_soap.core import guard

    env = build_services(load_settings(), prepare_database(load_settings()))
    with env.uow() as uow:
        guard.audit(env, uow, None, "password_changed", "success", username="alice")
        guard.audit(env, uow, None, "recovery_started", "failure", username="bob")
        uow.commit()
    code, out = run(capsys, "audit", "list", "--user", "alice", "--json")
    assert code == 0
    assert [(e["event"], e["username"]) for e in json.loads(out)] == [("password_changed", "alice")]
    code, out = run(capsys, "audit", "list", "--event", "recovery_started")
    assert "bob" in out and "alice" not in out


def test_doctor_reports_a_healthy_embedded_default(db: Path, capsys) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    code, out = run(capsys, "doctor")
    assert code == 0
    assert "ok    database: reachable (sqlite)" in out
    assert "migrations: schema is current" in out
    assert "note  smtp: no SMTP server configured" in out


def test_doctor_names_what_is_wrong(db: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("RECOVERY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RECOVERY_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("RECOVERY_RATE_LIMIT_STORAGE", "redis://127.0.0.1:1")
    code, out = run(capsys, "doctor", "--json")
    assert code == 1
    failed = {f["name"]: f["message"] for f in json.loads(out) if not f["ok"]}
    assert set(failed) == {"migrations", "smtp", "rate limits"}
    assert "recovery-soap db upgrade" in failed["migrations"]


def test_user_show_lock_unlock_delete(db: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("Secret#pass1\n"))
    assert (
        run(
            capsys,
            "user",
            "add",
            "carol",
            "--password-stdin",
            "--claim",
            "http://wso2.org/claims/emailaddress=carol@example.test",
        )[0]
        == 0
    )
    code, out = run(capsys, "user", "show", "carol", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["locked"] is False
    assert shown["claims"] == {"http://wso2.org/claims/emailaddress": "carol@example.test"}
    assert "Secret#pass1" not in out and "argon2" not in out
    assert run(capsys, "user", "lock", "carol")[0] == 0
    assert json.loads(run(capsys, "user", "show", "carol", "--json")[1])["locked"] is True
    assert run(capsys, "user", "unlock", "carol")[0] == 0
    assert json.loads(run(capsys, "user", "show", "carol", "--json")[1])["locked"] is False
    assert run(capsys, "user", "delete", "carol")[0] == 0
    assert run(capsys, "user", "show", "carol")[0] == 1


def test_outbox_retry_and_purge(db: Path, capsys) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    code, out = run(capsys, "outbox", "retry")
    assert code == 0 and "0 message(s) queued again" in out
    code, out = run(capsys, "outbox", "purge", "--older-than-days", "0", "--dead-too")
    assert code == 0 and "removed" in out
