"""Operations can see the service: a request id per call, one log record per call without
secrets, Prometheus metrics, and readiness that names what is unreachable."""

from __future__ import annotations

import json
import logging

import requests

from tests import conftest
from tests.conftest import LiveServer, unique
from tests.soap.flows import PASSWORD, claims_for
from tests.support import envelope, free_port, post_envelope


def test_each_call_gets_a_request_id_and_one_log_record(live: LiveServer) -> None:
    seen = len(conftest._records)
    answer = post_envelope(
        live.url,
        envelope("getAllChallengeQuestions"),
        auth=live.auth,
        headers={"X-Request-Id": "trace-42"},
    )
    assert answer.headers["X-Request-Id"] == "trace-42"
    calls = [r for r in conftest._records[seen:] if r.name == "recovery_soap.calls"]
    assert len(calls) == 1
    record = calls[0]
    assert (record.request_id, record.operation, record.outcome) == (
        "trace-42",
        "getAllChallengeQuestions",
        "ok",
    )
    assert record.tenant == "carbon.super" and record.duration_ms >= 0


def test_call_records_carry_no_arguments(live: LiveServer) -> None:
    seen = len(conftest._records)
    name = unique()
    live.client().registerUser(
        userName=name,
        password=PASSWORD,
        claims=claims_for(name),
        profileName="default",
        tenantDomain="",
    )
    messages = [r.getMessage() for r in conftest._records[seen:] if r.name == "recovery_soap.calls"]
    assert messages and not any(PASSWORD in m for m in messages)


def test_json_log_lines_hold_the_call_fields() -> None:
    from recovery_soap.logs import JsonFormatter

    record = logging.LogRecord(
        "recovery_soap.calls", logging.INFO, __file__, 1, "soap call", None, None
    )
    record.operation, record.outcome, record.code = "verifyUser", "error", "18003"
    data = json.loads(JsonFormatter().format(record))
    assert data["operation"] == "verifyUser" and data["code"] == "18003"
    assert data["level"] == "INFO" and data["message"] == "soap call"


def test_metrics_count_calls_errors_and_the_outbox(live: LiveServer) -> None:
    service = live.client()
    service.getAllChallengeQuestions()
    service.verifyUser(username=unique("ghost"), captcha=live.solve_captcha(service))
    text = requests.get(live.url + "/metrics", timeout=10).text
    assert 'recovery_soap_requests_total{operation="getAllChallengeQuestions",outcome="ok"}' in text
    assert 'recovery_soap_errors_total{code="18003",operation="verifyUser"}' in text
    assert "recovery_soap_request_seconds_bucket" in text
    assert 'recovery_soap_outbox_messages{status="pending"}' in text


def test_readiness_names_an_unreachable_smtp_server_but_stays_ready(serve) -> None:
    live = serve(smtp_port=free_port())
    answer = requests.get(live.url + "/readyz", timeout=10)
    assert answer.status_code == 200
    assert "database: ok" in answer.text and "smtp: unreachable (degraded" in answer.text
    assert requests.get(live.url + "/healthz", timeout=10).status_code == 200


def test_readiness_reports_redis_when_limits_live_there(serve) -> None:
    live = serve(rate_limit_storage="redis://127.0.0.1:1")  # nothing listens on port 1
    answer = requests.get(live.url + "/readyz", timeout=10)
    assert answer.status_code == 200 and "redis: unreachable (degraded" in answer.text
