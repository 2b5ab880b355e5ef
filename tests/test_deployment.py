"""The shipped gunicorn.conf.py serves the application with several workers, and /metrics sums
what every worker counted (Prometheus multiprocess mode)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import requests

from tests.support import envelope, free_port, post_envelope, wait_until_up

ROOT = Path(__file__).resolve().parent.parent


def test_gunicorn_conf_serves_with_merged_metrics(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "RECOVERY_BIND": f"127.0.0.1:{port}",
        "RECOVERY_WORKERS": "2",
        "RECOVERY_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
        "RECOVERY_BOOTSTRAP_ACCOUNT": "ops:ops-secret-0123456789",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    # Create the schema once before the workers start, as `recovery-soap db upgrade` would.
    subprocess.run(
        [sys.executable, "-m", "recovery_soap.cli", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "recovery_soap.app:application",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base)
        for _ in range(20):
            answer = post_envelope(
                base, envelope("getAllChallengeQuestions"), auth=("ops", "ops-secret-0123456789")
            )
            assert answer.status_code == 200
            assert answer.headers["X-Request-Id"]
        text = requests.get(base + "/metrics", timeout=10).text
        counted = re.search(
            r'recovery_soap_requests_total\{operation="getAllChallengeQuestions",outcome="ok"\}'
            r" (\d+(\.\d+)?)",
            text,
        )
        assert counted and float(counted.group(1)) == 20
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    assert "ops-secret" not in output and "Authorization" not in output
