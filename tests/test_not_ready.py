"""A service whose database is unreachable or not migrated keeps its process up and says why in
each face's own format: /healthz 200, /readyz 503 with the reason, a SOAP fault, REST JSON, never
an HTML 500; once the database is migrated it serves without a restart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import BACKEND, _postgres_schema_url
from tests.support import envelope, free_port, post_envelope, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = ("ops", "ops-secret-0123456789")


def _gunicorn(tmp_path: Path, database_url: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
        + ["recovery_soap.app:application"],
        env={
            **clean,
            "RECOVERY_BIND": f"127.0.0.1:{port}",
            "RECOVERY_WORKERS": "1",
            "RECOVERY_DATABASE_URL": database_url,
            "RECOVERY_BOOTSTRAP_ACCOUNT": ":".join(ACCOUNT),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        },
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base)
    return process, base


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    if BACKEND != "postgresql":
        pytest.skip("a database that is not migrated at start is a PostgreSQL deployment's case")
    yield from _postgres_schema_url()


def _assert_not_ready_answers(base: str, says: str) -> None:
    assert requests.get(base + "/healthz", timeout=10).status_code == 200
    ready = requests.get(base + "/readyz", timeout=10)
    assert ready.status_code == 503 and says in ready.text
    for soap12 in (False, True):
        fault = post_envelope(
            base, envelope("getAllChallengeQuestions", soap12=soap12), auth=ACCOUNT, soap12=soap12
        )
        assert fault.status_code == 503
        assert fault.headers["Content-Type"].startswith(
            "application/soap+xml" if soap12 else "text/xml"
        )
        assert b"Fault" in fault.content and b"<html" not in fault.content.lower()
    token = requests.post(base + "/oauth2/token", data={"grant_type": "x"}, timeout=10)
    assert token.status_code == 503 and token.json()["error"] == "temporarily_unavailable"
    scim = requests.get(base + "/scim2/Users", timeout=10)
    assert scim.status_code == 503 and scim.json()["status"] == "503"


def test_unreachable_database(tmp_path: Path) -> None:
    process, base = _gunicorn(tmp_path, "postgresql+psycopg://postgres@127.0.0.1:1/none")
    try:
        _assert_not_ready_answers(base, "could not be opened")
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "Traceback" not in output


def test_database_not_migrated_then_migrated(tmp_path: Path, fresh_postgres: str) -> None:
    process, base = _gunicorn(tmp_path, fresh_postgres)
    try:
        _assert_not_ready_answers(base, "recovery-soap db upgrade")
        upgraded = subprocess.run(
            [sys.executable, "-m", "recovery_soap.cli", "db", "upgrade"],
            env={**os.environ, "RECOVERY_DATABASE_URL": fresh_postgres},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert upgraded.returncode == 0, upgraded.stderr
        deadline = time.monotonic() + 15
        while requests.get(base + "/readyz", timeout=10).status_code != 200:
            assert time.monotonic() < deadline, "not ready after the upgrade"
            time.sleep(0.5)
        answer = post_envelope(base, envelope("getAllChallengeQuestions"), auth=ACCOUNT)
        assert answer.status_code == 200
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "Traceback" not in output
