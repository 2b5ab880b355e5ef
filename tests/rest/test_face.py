"""The REST edge: paths, methods, media types, body cap, HTTPS policy, request ids, outages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests
from werkzeug.test import Client

from tests.conftest import LiveServer
from tests.rest.support import SUBSCRIBER, bearer, service_token


@pytest.mark.parametrize(
    ("method", "path", "status", "key"),
    [
        ("GET", "/oauth2/nowhere", 404, "error"),
        ("GET", "/oauth2/token", 405, "error"),
        ("DELETE", "/oauth2/jwks", 405, "error"),
        ("GET", f"{SUBSCRIBER}/nowhere", 404, "message"),
        ("GET", f"{SUBSCRIBER}/authenticate", 405, "message"),
    ],
)
def test_unknown_paths_and_wrong_methods_answer_json(
    rest_server: LiveServer, method: str, path: str, status: int, key: str
) -> None:
    answer = requests.request(method, rest_server.url + path, timeout=30)
    assert answer.status_code == status
    assert answer.headers["Content-Type"].startswith("application/json")
    assert key in answer.json()
    assert "Traceback" not in answer.text and "<html" not in answer.text.lower()


def test_wrong_method_names_the_allowed_one(rest_server: LiveServer) -> None:
    answer = requests.get(rest_server.url + "/oauth2/token", timeout=30)
    assert answer.headers["Allow"] == "POST"


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/oauth2/token", "application/json", b'{"grant_type": "client_credentials"}'),
        (f"{SUBSCRIBER}/authenticate", "text/plain", b"username=x"),
        (f"{SUBSCRIBER}/authenticate", "application/x-www-form-urlencoded", b"username=x"),
    ],
)
def test_bodies_of_the_wrong_media_type_are_refused(
    rest_server: LiveServer, path: str, content_type: str, body: bytes
) -> None:
    answer = requests.post(
        rest_server.url + path, data=body, headers={"Content-Type": content_type}, timeout=30
    )
    assert answer.status_code == 415
    assert answer.headers["Content-Type"].startswith("application/json")


def test_oversized_body_is_refused_before_it_is_read(serve) -> None:
    server = serve(rest_max_body_bytes=2048)
    answer = requests.post(
        server.url + f"{SUBSCRIBER}/authenticate",
        data=b"{" + b" " * 4096 + b"}",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 413
    assert "2048" in answer.json()["message"]


def test_oversized_chunked_body_is_refused(serve) -> None:
    server = serve(rest_max_body_bytes=2048)

    def chunks():
        for _ in range(10):
            yield b" " * 1024

    answer = requests.post(
        server.url + "/oauth2/token",
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert answer.status_code == 413


@pytest.mark.parametrize(
    ("trust_proxy", "scheme", "forwarded", "status"),
    [
        (False, "http", None, 403),
        (False, "https", None, 200),
        (False, "http", "https", 403),  # an untrusted proxy header does not count
        (True, "http", "https", 200),
    ],
)
def test_https_policy_is_that_of_the_soap_edge(
    serve, trust_proxy: bool, scheme: str, forwarded: str | None, status: int
) -> None:
    server = serve(require_https=True, trust_proxy=trust_proxy)
    headers = {"X-Forwarded-Proto": forwarded} if forwarded else {}
    answer = Client(server.app).get(
        "/oauth2/jwks",
        base_url=f"{scheme}://localhost/",
        headers=headers,
        environ_overrides={"REMOTE_ADDR": "127.0.0.1"},  # trust_proxy: a proxy on this host
    )
    assert answer.status_code == status
    if status == 403:
        assert answer.json["error"] == "https_required"


def test_request_id_is_echoed_or_made(rest_server: LiveServer) -> None:
    given = requests.get(
        rest_server.url + "/oauth2/jwks", headers={"X-Request-Id": "abc-123"}, timeout=30
    )
    assert given.headers["X-Request-Id"] == "abc-123"
    made = requests.get(
        rest_server.url + "/oauth2/jwks", headers={"X-Request-Id": "bad id\u00e9"}, timeout=30
    )
    assert made.headers["X-Request-Id"] not in ("", "bad id")


def test_rest_requests_are_counted_in_metrics(rest_server: LiveServer) -> None:
    requests.get(rest_server.url + "/oauth2/jwks", timeout=30)
    metrics = requests.get(rest_server.url + "/metrics", timeout=30).text
    assert 'recovery_soap_rest_requests_total{face="oauth",route="/oauth2/jwks",status="200"}' in (
        metrics
    )


def test_database_outage_answers_503_json(rest_server: LiveServer, monkeypatch) -> None:
    token = service_token(rest_server)
    from recovery_soap.core.errors import Unavailable

    def down(*args, **kwargs):
        raise Unavailable("the database is unreachable")

    monkeypatch.setattr("recovery_soap.core.oauth.current_subject", down)
    answer = requests.post(
        rest_server.url + f"{SUBSCRIBER}/statistics",
        json={"type": "logins"},
        headers=bearer(token),
        timeout=30,
    )
    assert answer.status_code == 503
    assert answer.json()["success"] is False


def test_a_soap_only_worker_never_imports_the_rest_libraries(database_url: str) -> None:
    """Memory: joserfc, pydantic and the REST modules load on the first REST request, not before
    (werkzeug is not in the list: spyne's WSGI server imports it already)."""
    script = (
        "import sys, json, io\n"
        "from recovery_soap.app import create_app\n"
        "from recovery_soap.config import Settings\n"
        f"app = create_app(Settings(database_url={database_url!r}, argon2_memory_kib=1024,"
        " argon2_time_cost=1))\n"
        "def call(path):\n"
        "    out = []\n"
        "    env = {'REQUEST_METHOD': 'GET', 'PATH_INFO': path, 'QUERY_STRING': '',"
        " 'SERVER_NAME': 'x', 'SERVER_PORT': '80', 'wsgi.input': io.BytesIO(b''),"
        " 'wsgi.url_scheme': 'http'}\n"
        "    b''.join(app(env, lambda s, h, e=None: out.append(s)))\n"
        "    return out[0]\n"
        "call('/healthz')\n"
        "rest = ('joserfc', 'pydantic', 'recovery_soap.rest.edge')\n"
        "before = sorted(m for m in rest if m in sys.modules)\n"
        "status = call('/oauth2/jwks')\n"
        "after = sorted(m for m in rest if m in sys.modules)\n"
        "print(json.dumps([before, after, status]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    before, after, status = json.loads(result.stdout.strip().splitlines()[-1])
    assert before == []
    assert {"joserfc", "recovery_soap.rest.edge"} <= set(after) and status.startswith("200")


def test_scim_paths_answer_404_json_while_scim_is_not_installed(
    rest_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    real = importlib.import_module

    def without_scim(name: str, *args, **kwargs):
        if name.startswith("recovery_soap.rest.scim"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr("recovery_soap.rest.edge.importlib.import_module", without_scim)
    rest_server.app.rest._scim = None
    for path in ("/scim2/Me", "/t/carbon.super/scim2/Users"):
        answer = requests.get(rest_server.url + path, timeout=30)
        assert answer.status_code == 404
        assert answer.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


@pytest.mark.parametrize("path", ["/scim2x", "/t/acme/other", "/api/am/user/subscribers"])
def test_lookalike_paths_are_not_rest(rest_server: LiveServer, path: str) -> None:
    answer = requests.get(rest_server.url + path, timeout=30)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("text/plain")
