"""Redis or the SMTP server going away under load: readiness stays 200 (only the database makes
an instance unready), answers stay right, limits fail open or closed as configured, and the log
says so once, not once per request."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import LiveServer, unique
from tests.reliability.services import RedisServer, SlowSmtpServer
from tests.soap.flows import claims_for, confirmed_user

REQUESTS_PER_OUTAGE = 30
INTERVAL = 0.5  # seconds between "still unavailable" records (60 by default)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def outage_records(caplog: pytest.LogCaptureFixture, since: int) -> list[logging.LogRecord]:
    """What the service logged about its dependencies since record number ``since``: every
    record but the one-per-call access records."""
    return [
        r
        for r in caplog.records[since:]
        if r.name.startswith("recovery_soap") and r.name != "recovery_soap.calls"
    ]


def ready(live: LiveServer) -> requests.Response:
    return requests.get(live.url + "/readyz", timeout=10)


def check_answers(live: LiveServer, known: str) -> None:
    """One round of correct answers: a known user is verified, an unknown one is not."""
    service = live.client()
    bean = service.verifyUser(username=known, captcha=live.solve_captcha(service))
    assert bean.verified and bean.key, bean.error
    bean = service.verifyUser(username=unique("ghost"), captcha=live.solve_captcha(service))
    assert not bean.verified and bean.error.startswith("18003"), bean.error


def test_redis_outage_keeps_readiness_answers_and_a_quiet_log(
    serve, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    live = serve(rate_limit_storage=redis_server.url, outage_log_interval_seconds=INTERVAL)
    known = confirmed_user(live, live.client())
    check_answers(live, known)
    assert ready(live).status_code == 200

    redis_server.stop()
    start, began = len(caplog.records), time.monotonic()
    for _ in range(REQUESTS_PER_OUTAGE // 3):
        check_answers(live, known)
        answer = ready(live)
        assert answer.status_code == 200, answer.text
        assert "redis: unreachable (degraded" in answer.text
    metrics = requests.get(live.url + "/metrics", timeout=10).text
    assert 'recovery_soap_dependency_up{dependency="redis"} 0.0' in metrics
    assert 'recovery_soap_dependency_up{dependency="database"} 1.0' in metrics
    details = json.loads(requests.get(live.url + "/healthz/details", timeout=10).text)
    assert details["status"] == "degraded" and details["dependencies"]["redis"]["up"] is False
    seconds = time.monotonic() - began
    during = outage_records(caplog, start)

    redis_server.start()
    check_answers(live, known)
    after = outage_records(caplog, start)[len(during) :]

    assert not [r for r in during if r.exc_info], "a traceback was logged during the outage"
    assert during[0].getMessage().startswith("rate-limit storage unavailable (ConnectionError)")
    assert all("still unavailable" in r.getMessage() for r in during[1:])
    assert len(during) <= 2 + seconds / INTERVAL
    assert any("available again" in r.getMessage() for r in after)
    print(
        f"\nredis outage: {REQUESTS_PER_OUTAGE} answers + readiness 200 throughout; "
        f"{len(during)} log record(s) in {seconds:.1f} s at a {INTERVAL} s interval"
    )


def test_limits_fail_closed_while_redis_is_down_when_so_configured(
    serve, redis_server: RedisServer
) -> None:
    live = serve(rate_limit_storage=redis_server.url, rate_limit_failure_mode="closed")
    service = live.client()
    captcha = live.solve_captcha(service)  # getCaptcha is a limited request too
    redis_server.stop()
    bean = service.verifyUser(username=unique("ghost"), captcha=captcha)
    assert not bean.verified and bean.error == "18013 Too many requests; try again later"
    assert ready(live).status_code == 200


def test_smtp_outage_keeps_readiness_and_a_quiet_log(
    serve, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    smtp = SlowSmtpServer(delay=0)
    smtp.start()
    port = smtp.port
    live = serve(smtp_port=port)
    smtp.stop()
    start, began = len(caplog.records), time.monotonic()
    service, addresses = live.client(), []
    for _ in range(REQUESTS_PER_OUTAGE // 3):
        name = unique()
        bean = service.registerUser(
            userName=name,
            password="Initial#Pass123",
            claims=claims_for(name),
            profileName="default",
            tenantDomain="carbon.super",
        )
        assert bean.verified, bean.error
        addresses.append(f"{name}@example.test")
        live.deliver_mail()  # each new message fails once, then waits for its retry
        answer = ready(live)
        assert answer.status_code == 200, answer.text
        assert "smtp: unreachable (degraded: mail waits in the outbox)" in answer.text
    seconds = time.monotonic() - began
    during = outage_records(caplog, start)

    smtp = SlowSmtpServer(delay=0, port=port)
    smtp.start()
    try:
        live.app.dispatcher._queue.retry_now(live.clock.now())
        live.deliver_mail()
    finally:
        smtp.stop()
    after = outage_records(caplog, start)[len(during) :]

    assert {str(m["To"]) for m in smtp.messages} >= set(addresses)
    ours = {m.id for m in live.app.dispatcher._queue.listing() if m.recipient in addresses}
    about_ours = [
        r
        for r in during
        if getattr(r, "dependency", None) or any(f"message {i} " in r.getMessage() for i in ours)
    ]
    assert not [r for r in during if r.exc_info]
    assert [r.getMessage() for r in about_ours if r.levelno >= logging.INFO] == [
        "SMTP server unavailable (ConnectionRefusedError); mail waits in the outbox"
    ]
    assert any("SMTP server available again" in r.getMessage() for r in after)
    print(
        f"\nsmtp outage: {len(addresses)} registrations, readiness 200 throughout; "
        f"{len(about_ours)} log record(s) "
        f"({sum(r.levelno >= logging.INFO for r in about_ours)} at INFO+) "
        f"in {seconds:.1f} s"
    )
