"""An operator's mistakes get one line on stderr and a non-zero exit, never a traceback: each
input below once printed a Python traceback (or passed `config` and then crashed `serve`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import free_port


def _run(
    args: list[str], env: dict[str, str], tmp_path: Path, *, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
    return subprocess.run(
        [sys.executable, "-m", "recovery_soap.cli", *args],
        env={**clean, "RECOVERY_DATABASE_URL": f"sqlite:///{tmp_path / 'o.db'}", **env},
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _one_line_failure(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("recovery-soap: ")
    return lines[0]


@pytest.mark.parametrize(
    ("env", "args", "says"),
    [
        ({"RECOVERY_DATABASE_URL": "foo://bar"}, ["db", "upgrade"], "database_url"),
        (
            {"RECOVERY_DATABASE_URL": "sqlite:////nonexistent-dir/sub/x.db"},
            ["db", "upgrade"],
            "could not be opened",
        ),
        (
            {"RECOVERY_DATABASE_URL": "postgresql+pg8000://u@127.0.0.1/x"},
            ["db", "upgrade"],
            "pg8000",
        ),
        ({}, ["--config", "/nonexistent.toml", "config"], "/nonexistent.toml"),
        ({"RECOVERY_CONFIG": "/nonexistent.toml"}, ["config"], "/nonexistent.toml"),
        ({}, ["account", "add", "x", "--permissions", "bogus"], "bogus"),
        ({}, ["user", "add", "bob"], "--password-stdin"),
        ({"RECOVERY_SECRET_KEY": "short"}, ["config"], "secret_key"),
        ({"RECOVERY_SECRET_KEY": "short"}, ["serve", "--port", "1"], "secret_key"),
        ({"RECOVERY_RATE_LIMIT_STORAGE": "foo://"}, ["config"], "rate_limit_storage"),
        ({"RECOVERY_RATE_LIMIT_STORAGE": "foo://"}, ["serve", "--port", "1"], "rate_limit_storage"),
        ({"RECOVERY_LOG_LEVEL": "LOUD"}, ["config"], "log_level"),
        ({"RECOVERY_SMTP_PORT": "many"}, ["config"], "smtp_port"),
        ({}, ["outbox", "retry", "--id", "999"], "999"),
    ],
    ids=lambda value: str(value)[:40],
)
def test_mistakes_are_one_line(env, args, says, tmp_path: Path) -> None:
    line = _one_line_failure(_run(args, env, tmp_path))
    assert says in line


def test_malformed_config_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("captcha_verification = [\n")
    line = _one_line_failure(_run(["--config", str(bad), "config"], {}, tmp_path))
    assert "bad.toml" in line


def test_missing_postgres_driver_names_the_extra(tmp_path: Path) -> None:
    """A PostgreSQL URL on an installation without the `postgres` extra says what to install."""
    shadow = tmp_path / "shadow" / "psycopg"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ModuleNotFoundError("no psycopg", name="psycopg")\n')
    env = {
        "PYTHONPATH": f"{shadow.parent}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "RECOVERY_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1/test",
    }
    line = _one_line_failure(_run(["db", "upgrade"], env, tmp_path))
    assert "pip install 'recovery-soap[postgres]'" in line


def test_port_in_use_is_one_line_and_announces_nothing(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = _run(["serve", "--port", str(port)], {}, tmp_path)
    line = _one_line_failure(result)
    assert str(port) in line and "in use" in line
    assert "Serving on" not in result.stdout + result.stderr


def test_unknown_variables_are_named_with_a_suggestion(tmp_path: Path) -> None:
    result = _run(["config"], {"RECOVERY_SMPT_HOST": "mail.example.org"}, tmp_path)
    assert result.returncode == 0
    assert "RECOVERY_SMPT_HOST" in result.stderr and "RECOVERY_SMTP_HOST" in result.stderr
    assert "Traceback" not in result.stderr


def test_secret_settings_read_from_files(tmp_path: Path) -> None:
    """Every secret setting has a *_FILE variant (container and Kubernetes secrets)."""
    from recovery_soap.config import load_settings

    key = tmp_path / "key"
    key.write_text("k" * 40 + "\n")
    password = tmp_path / "smtp"
    password.write_text("s3cret\n")
    settings = load_settings(
        {"RECOVERY_SECRET_KEY_FILE": str(key), "RECOVERY_SMTP_PASSWORD_FILE": str(password)}
    )
    assert settings.secret_key == "k" * 40
    assert settings.smtp_password == "s3cret"
    from recovery_soap.config import SettingsError

    with pytest.raises(SettingsError, match="RECOVERY_SMTP_PASSWORD_FILE"):
        load_settings({"RECOVERY_SMTP_PASSWORD_FILE": str(tmp_path / "absent")})
    with pytest.raises(SettingsError, match="both"):
        load_settings({"RECOVERY_SMTP_PASSWORD_FILE": str(password), "RECOVERY_SMTP_PASSWORD": "x"})
