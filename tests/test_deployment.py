"""The shipped gunicorn.conf.py serves the application with several workers, and /metrics sums
what every worker counted (Prometheus multiprocess mode)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
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


def _nginx_locations(conf: str) -> list[tuple[str, str, str]]:
    """(modifier, path, body) of every location block of the shipped nginx site."""
    return [
        (m.group(1) or "", m.group(2), m.group(3))
        for m in re.finditer(r"location\s+(=\s+)?(\S+)\s*\{([^}]*)\}", conf)
    ]


def _nginx_route(locations: list[tuple[str, str, str]], path: str) -> str:
    """The body of the location nginx picks for ``path`` (exact match, else longest prefix)."""
    for modifier, prefix, body in locations:
        if modifier and prefix == path:
            return body
    prefixes = [(prefix, body) for modifier, prefix, body in locations if not modifier]
    matching = [(prefix, body) for prefix, body in prefixes if path.startswith(prefix)]
    return max(matching, key=lambda item: len(item[0]))[1]


@pytest.mark.parametrize(
    "path",
    [
        "/services/UserInformationRecoveryService",
        "/services/UserInformationRecoveryService.UserInformationRecoveryServiceHttpsSoap11Endpoint/",
        "/t/example.com/services/UserInformationRecoveryService",
        "/oauth2/token",
        "/oauth2/jwks",
        "/scim2/Users",
        "/scim2/Me",
        "/t/example.com/scim2/Users",
        "/api/am/user/subscriber/authenticate",
        "/accountrecoveryendpoint/recoverpassword.do",
        "/t/example.com/accountrecoveryendpoint/register.do",
        "/registry/resource/captcha/x.jpg",
        "/healthz",
    ],
)
def test_nginx_site_routes_every_face_to_the_service(path: str) -> None:
    """Each face the service answers reaches it through the shipped nginx site (not its 404)."""
    conf = (ROOT / "deploy" / "nginx" / "recovery-soap.conf").read_text()
    assert "proxy_pass" in _nginx_route(_nginx_locations(conf), path)


def test_nginx_site_caps_bodies_as_the_service_does() -> None:
    from recovery_soap.config import Settings

    conf = (ROOT / "deploy" / "nginx" / "recovery-soap.conf").read_text()
    settings = Settings()
    body = re.search(r"^\s*client_max_body_size (\d+)m;", conf, re.M)
    assert body and int(body.group(1)) * 1024 * 1024 == settings.max_body_bytes
    for _, prefix, block in _nginx_locations(conf):
        if prefix in ("/oauth2/", "/scim2/", "/api/am/"):
            assert f"client_max_body_size {settings.rest_max_body_bytes // 1024}k;" in block


def test_container_files_run_the_service_as_documented() -> None:
    """The image runs gunicorn with the shipped settings as a non-root user and checks /healthz;
    compose and Kubernetes run the one-shot migration and the outbox dispatcher beside it."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ARG BASE=", dockerfile, re.M)
    assert re.search(r"^USER 10001", dockerfile, re.M)
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert "gunicorn.conf.py" in dockerfile
    compose = (ROOT / "compose.yaml").read_text()
    for needed in ("postgres:", "redis:", "mail:", "migrate:", '"db", "upgrade"', "outbox"):
        assert needed in compose
    kube = ROOT / "deploy" / "kubernetes"
    deployment = (kube / "deployment.yaml").read_text()
    assert "path: /healthz" in deployment and "path: /readyz" in deployment
    assert "kind: Job" in (kube / "migrate-job.yaml").read_text()
    assert '"outbox", "run"' in (kube / "outbox-deployment.yaml").read_text()
