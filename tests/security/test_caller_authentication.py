"""Caller authentication: 401 with a challenge, failures audited and limited per address (429),
HTTPS required when configured, and the stored secret is a keyed hash, not the secret."""

from __future__ import annotations

import io

from sqlalchemy import select

from recovery_soap.store.models import AuditRow, ServiceAccountRow
from tests.conftest import ACCOUNT, LiveServer
from tests.support import envelope, post_envelope


def test_wrong_secret_gets_401_with_a_challenge_and_is_audited(live: LiveServer) -> None:
    answer = post_envelope(live.url, envelope("getCaptcha"), auth=(ACCOUNT[0], "wrong-secret"))
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic realm=")
    with live.app.engine.connect() as connection:
        events = connection.execute(
            select(AuditRow.event, AuditRow.outcome, AuditRow.caller)
            .where(AuditRow.event == "caller_authentication")
            .order_by(AuditRow.id.desc())
        ).first()
    assert events == ("caller_authentication", "failure", ACCOUNT[0])


def test_repeated_failures_from_one_address_get_429(serve) -> None:
    live = serve(limit_auth_failures_per_address="3/minute")
    for _ in range(3):
        assert (
            post_envelope(live.url, envelope("getCaptcha"), auth=("nobody", "guess")).status_code
            == 401
        )
    answer = post_envelope(live.url, envelope("getCaptcha"), auth=live.auth)
    assert answer.status_code == 429  # even the right secret, until the window passes
    assert "Retry-After" in answer.headers


def test_secret_is_stored_as_a_keyed_hash(live: LiveServer) -> None:
    with live.app.engine.connect() as connection:
        stored = connection.execute(
            select(ServiceAccountRow.secret_hash).where(ServiceAccountRow.name == ACCOUNT[0])
        ).scalar_one()
    assert ACCOUNT[1] not in stored and len(stored) == 64


def _call(app, scheme: str, headers: dict[str, str] | None = None) -> str:
    body = envelope("getAllChallengeQuestions").encode()
    import base64

    token = base64.b64encode(f"{ACCOUNT[0]}:{ACCOUNT[1]}".encode()).decode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/services/UserInformationRecoveryService",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "text/xml; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": scheme,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "443",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Basic {token}",
        **(headers or {}),
    }
    status: list[str] = []
    b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    return status[0]


def test_https_required_refuses_plain_http(serve) -> None:
    live = serve(require_https=True)
    assert _call(live.app, "http").startswith("403")
    assert _call(live.app, "https").startswith("200")
    # Behind a proxy, only a trusted one's X-Forwarded-Proto counts.
    assert _call(live.app, "http", {"HTTP_X_FORWARDED_PROTO": "https"}).startswith("403")
    proxied = serve(require_https=True, trust_proxy=True)
    assert _call(proxied.app, "http", {"HTTP_X_FORWARDED_PROTO": "https"}).startswith("200")
