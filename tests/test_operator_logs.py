"""One log story: every line a serving process writes is in the configured format with an ISO
8601 UTC timestamp in milliseconds, migrations on start say one line, and `serve --workers` runs
with the shipped gunicorn settings (metrics merged across workers)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support import envelope, free_port, post_envelope, wait_until_up

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _serve(tmp_path: Path, *extra: str, fmt: str = "json") -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RECOVERY_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "recovery_soap.cli", "serve", "--port", str(port), *extra],
        env={
            **clean,
            "RECOVERY_DATABASE_URL": f"sqlite:///{tmp_path / 'logs.db'}",
            "RECOVERY_BOOTSTRAP_ACCOUNT": "ops:ops-secret-0123456789",
            "RECOVERY_LOG_FORMAT": fmt,
            **({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")} if extra else {}),
        },
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base)
    return process, base


def _stop(process: subprocess.Popen[str]) -> list[str]:
    process.terminate()
    output, _ = process.communicate(timeout=30)
    return [line for line in output.splitlines() if line.strip()]


def test_single_process_writes_json_lines_only(tmp_path: Path) -> None:
    process, base = _serve(tmp_path)
    try:
        answer = post_envelope(
            base, envelope("getAllChallengeQuestions"), auth=("ops", "ops-secret-0123456789")
        )
        assert answer.status_code == 200
    finally:
        lines = _stop(process)
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(STAMP.match(record["time"]) for record in records), records[:3]
    messages = [record["message"] for record in records]
    assert any(m.startswith("Serving on http://127.0.0.1:") for m in messages)
    assert not [r for r in records if r["logger"].startswith("alembic")]
    assert sum("database schema migrated" in m for m in messages) == 1


def test_text_lines_carry_utc_milliseconds(tmp_path: Path) -> None:
    process, _ = _serve(tmp_path, fmt="text")
    lines = _stop(process)
    serving = next(line for line in lines if "Serving on" in line)
    assert STAMP.match(serving.split()[0]), serving


def test_workers_use_the_shipped_gunicorn_settings(tmp_path: Path) -> None:
    process, base = _serve(tmp_path, "--workers", "2")
    try:
        for _ in range(12):
            answer = post_envelope(
                base, envelope("getAllChallengeQuestions"), auth=("ops", "ops-secret-0123456789")
            )
            assert answer.status_code == 200
        time.sleep(0.2)
        text = requests.get(base + "/metrics", timeout=10).text
    finally:
        lines = _stop(process)
    counted = re.search(
        r'recovery_soap_requests_total\{operation="getAllChallengeQuestions",outcome="ok"\}'
        r" (\d+(\.\d+)?)",
        text,
    )
    assert counted and float(counted.group(1)) == 12  # both workers' counts, merged
    records = [json.loads(line) for line in lines]  # gunicorn's lines too are JSON
    assert any(r["logger"].startswith("gunicorn") for r in records)
    assert "ops-secret" not in "\n".join(lines)


def _refused(text: str, reason: str) -> float:
    found = re.search(rf'recovery_soap_refused_total\{{reason="{reason}"\}} (\d+(\.\d+)?)', text)
    return float(found.group(1)) if found else 0.0


def test_refused_soap_requests_are_counted_and_logged(live, caplog) -> None:
    """401, 413, 415 and malformed bodies leave a metric and a log line (never their content)."""
    url = live.url + "/services/UserInformationRecoveryService"
    before = requests.get(live.url + "/metrics", timeout=10).text
    soap = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "urn:getAllChallengeQuestions"}
    with caplog.at_level("INFO", logger="recovery_soap.http"):
        assert requests.post(url, data=envelope("x"), headers=soap, timeout=10).status_code == 401
        assert (
            requests.post(url, data="x", headers={"Content-Type": "text/plain"}, auth=live.auth)
        ).status_code == 415
        assert (
            requests.post(url, data=b"<" * (2 * 1024 * 1024), headers=soap, auth=live.auth)
        ).status_code == 413
        assert (
            requests.post(url, data=b"<not xml", headers=soap, auth=live.auth, timeout=10)
        ).status_code == 400
    after = requests.get(live.url + "/metrics", timeout=10).text
    for reason in ("unauthenticated", "media_type", "too_large", "malformed"):
        assert _refused(after, reason) == _refused(before, reason) + 1, reason
    lines = [r.getMessage() for r in caplog.records if r.name == "recovery_soap.http"]
    assert sum(line.startswith("refused POST /services/") for line in lines) >= 4
    assert not any("not xml" in line for line in lines)
