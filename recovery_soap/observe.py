"""Observability: one log record and a set of Prometheus metrics per SOAP call.

A record names the request id, operation, tenant, caller, outcome, legacy error code and
duration; never an argument of the call (they hold passwords, codes and answers).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger("recovery_soap.calls")

REQUESTS = Counter(
    "recovery_soap_requests_total", "SOAP calls by operation and outcome", ["operation", "outcome"]
)
ERRORS = Counter(
    "recovery_soap_errors_total",
    "Failed SOAP calls by operation and legacy error code",
    ["operation", "code"],
)
LATENCY = Histogram(
    "recovery_soap_request_seconds",
    "SOAP call duration by operation",
    ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
REFUSED = Counter(
    "recovery_soap_refused_total",
    "SOAP requests refused before any operation ran, by reason",
    ["reason"],
)
#: The reason a refused SOAP request is counted under, by HTTP status.
REFUSAL_REASONS = {
    "400": "malformed",
    "401": "unauthenticated",
    "403": "forbidden",
    "404": "not_found",
    "405": "method",
    "411": "length_required",
    "413": "too_large",
    "415": "media_type",
    "429": "rate_limited",
}
refusals_log = logging.getLogger("recovery_soap.http")
DELIVERIES = Counter(
    "recovery_soap_outbox_deliveries_total", "Outbox delivery attempts by result", ["result"]
)


def record_call(
    *,
    operation: str,
    outcome: str,
    code: str | None,
    seconds: float,
    request_id: str,
    tenant: str | None,
    caller: str | None,
) -> None:
    REQUESTS.labels(operation, outcome).inc()
    LATENCY.labels(operation).observe(seconds)
    if code:
        ERRORS.labels(operation, code).inc()
    log.info(
        "soap call %s %s %s%s in %.1f ms",
        request_id,
        operation,
        outcome,
        f" {code}" if code else "",
        seconds * 1000,
        extra={
            "request_id": request_id,
            "operation": operation,
            "outcome": outcome,
            "code": code,
            "tenant": tenant,
            "caller": caller,
            "duration_ms": round(seconds * 1000, 2),
        },
    )


REST_REQUESTS = Counter(
    "recovery_soap_rest_requests_total",
    "REST requests by face, route and HTTP status",
    ["face", "route", "status"],
)
REST_LATENCY = Histogram(
    "recovery_soap_rest_request_seconds",
    "REST request duration by face and route",
    ["face", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def record_request(
    *, face: str, route: str, method: str, status: int, seconds: float, request_id: str
) -> None:
    """One REST request: metrics and a log record (route and status only, never a body)."""
    REST_REQUESTS.labels(face, route, str(status)).inc()
    REST_LATENCY.labels(face, route).observe(seconds)
    log.info(
        "rest call %s %s %s %d in %.1f ms",
        request_id,
        method,
        route,
        status,
        seconds * 1000,
        extra={
            "request_id": request_id,
            "face": face,
            "operation": f"{method} {route}",
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        },
    )


def record_delivery(result: str) -> None:
    DELIVERIES.labels(result).inc()


class OutboxCollector:
    """Outbox depth by status, read from the database at scrape time."""

    def __init__(self, counts: Any) -> None:
        self._counts = counts

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "recovery_soap_outbox_messages", "Messages in the outbox by status", labels=["status"]
        )
        try:
            counts = self._counts()
        except Exception:  # noqa: BLE001 - a scrape must not fail when the database is down
            counts = {}
        for status in ("pending", "sent", "dead"):
            family.add_metric([status], counts.get(status, 0))
        yield family

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []


def exposition(outbox_counts: Any, dependencies: Any = None) -> tuple[bytes, str]:
    """The /metrics body: this process's metrics, or all workers' in gunicorn multiprocess mode."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        # prometheus_client leaves this constructor unannotated.
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    body = generate_latest(registry)
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector(outbox_counts))
    if dependencies is not None:  # recovery_soap_dependency_up, measured at scrape time
        outbox.register(dependencies)
    return body + generate_latest(outbox), CONTENT_TYPE_LATEST


def counting_refusals(start_response: Any, method: str, path: str) -> Any:
    """``start_response`` that counts and logs (one line, no content) a SOAP request refused
    at the edge: unauthenticated, too large, of the wrong media type, malformed."""

    def start(status: str, headers: Any, exc_info: Any = None) -> Any:
        reason = REFUSAL_REASONS.get(status[:3])
        if reason is not None:
            REFUSED.labels(reason).inc()
            refusals_log.info("refused %s %s: %s (%s)", method, path, status, reason)
        return start_response(status, headers, exc_info)

    return start
