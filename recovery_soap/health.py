"""Health of this instance and of what it depends on.

Readiness means "send me traffic": it fails only when this instance cannot serve, that is when
its database does not answer. Redis (rate limits fail open or closed without it) and the SMTP
server (mail waits in the outbox) are reported, in the readiness body, in the detailed view and
as ``recovery_soap_dependency_up{dependency}``, but never fail readiness: a load balancer that
removed every instance for them would turn their outage into a full one.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import GaugeMetricFamily

from recovery_soap.config import Settings
from recovery_soap.outages import OutageLog

log = logging.getLogger("recovery_soap.health")


@dataclass(frozen=True)
class Dependency:
    name: str
    up: bool
    required: bool  # False: the service keeps answering without it
    effect: str  # what its absence means, in the operator's words


def _port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


class Health:
    """Checks the database (``ping_database`` raises when it does not answer), the SMTP server
    and the rate-limit storage, as configured."""

    def __init__(
        self,
        settings: Settings,
        ping_database: Callable[[], None],
        redis_reachable: Callable[[], bool] | None,
        outbox_counts: Callable[[], dict[str, int]],
    ) -> None:
        self._settings = settings
        self._ping_database = ping_database
        self._redis_reachable = redis_reachable
        self._outbox_counts = outbox_counts
        self._database = OutageLog(
            log, "database", "this instance is not ready", settings.outage_log_interval_seconds
        )

    def database_answers(self) -> bool:
        try:
            self._ping_database()
        except Exception as exc:  # noqa: BLE001 - any failure to reach the database: not ready
            self._database.failed(exc)
            return False
        self._database.succeeded()
        return True

    def dependencies(self) -> list[Dependency]:
        s = self._settings
        found = [Dependency("database", self.database_answers(), True, "no request can be served")]
        if s.smtp_host and not s.notifications_external:
            up = _port_answers(s.smtp_host, s.smtp_port)
            found.append(Dependency("smtp", up, False, "mail waits in the outbox"))
        if self._redis_reachable is not None and s.rate_limit_storage.startswith("redis"):
            effect = (
                "limited requests are refused"
                if s.rate_limit_failure_mode == "closed"
                else "rate limits are not enforced"
            )
            found.append(Dependency("redis", bool(self._redis_reachable()), False, effect))
        return found

    def readiness(self) -> tuple[bool, str]:
        """(ready, body): ready unless a required dependency is down."""
        found = self.dependencies()
        ready = all(d.up for d in found if d.required)
        lines = [
            f"{d.name}: {'ok' if d.up else 'unreachable'}"
            + ("" if d.up or d.required else f" (degraded: {d.effect})")
            for d in found
        ]
        return ready, "\n".join(["ready" if ready else "not ready", *lines])

    def details(self) -> bytes:
        """The operators' view, as JSON: every dependency and the outbox depth; no host names,
        addresses or error texts."""
        found = self.dependencies()
        if not all(d.up for d in found if d.required):
            status = "down"
        else:
            status = "ok" if all(d.up for d in found) else "degraded"
        try:
            outbox: dict[str, int] | None = self._outbox_counts()
        except Exception:  # noqa: BLE001 - the database state is already reported above
            outbox = None
        data: dict[str, Any] = {
            "status": status,
            "dependencies": {
                d.name: {"up": d.up, "required": d.required, "when_down": d.effect} for d in found
            },
            "outbox": outbox,
        }
        return json.dumps(data, indent=2).encode()

    def collect(self) -> Iterable[GaugeMetricFamily]:
        """``recovery_soap_dependency_up``, measured at scrape time."""
        family = GaugeMetricFamily(
            "recovery_soap_dependency_up",
            "1 when a dependency answers, 0 when it does not",
            labels=["dependency"],
        )
        for d in self.dependencies():
            family.add_metric([d.name], 1 if d.up else 0)
        yield family

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []
