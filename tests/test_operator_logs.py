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
