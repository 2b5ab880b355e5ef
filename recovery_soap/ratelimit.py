"""Rate limits with the ``limits`` library: in memory for one process, Redis for many workers.

The core names its limits (``core.guard.Limit``); the settings give each a rate such as
``5/hour``. ``rate_limits=off`` disables them all (load tests, conformance runs). While the
storage is unreachable, limits fail open or closed (``rate_limit_failure_mode``), and the outage
is logged sparingly (``outages``), never once per request.
"""

from __future__ import annotations

import logging

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from recovery_soap.config import Settings
from recovery_soap.core.model import Limit
from recovery_soap.core.services import Unlimited
from recovery_soap.outages import OutageLog

log = logging.getLogger("recovery_soap.ratelimit")


class Limiter:
    """Moving-window limits keyed by (limit, identifiers...)."""

    def __init__(self, settings: Settings) -> None:
        options = {}
        if settings.rate_limit_storage.startswith(("redis://", "rediss://")):
            options["key_prefix"] = settings.rate_limit_namespace
        self._storage = storage_from_string(settings.rate_limit_storage, **options)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._rates: dict[Limit, RateLimitItem] = {
            limit: parse(getattr(settings, f"limit_{limit.value}")) for limit in Limit
        }
        self._fail_closed = settings.rate_limit_failure_mode == "closed"
        self._outage = OutageLog(
            log,
            "rate-limit storage",
            "limited requests are refused"
            if self._fail_closed
            else "limits are not enforced until it returns",
            settings.outage_log_interval_seconds,
        )

    def allow(self, limit: Limit, *identifiers: str) -> bool:
        """Count one hit; False once the limit is exceeded (the hit is then not counted)."""
        try:
            allowed = bool(self._limiter.hit(self._rates[limit], limit.value, *identifiers))
        except Exception as exc:  # noqa: BLE001 - an unreachable storage must not crash a call
            self._outage.failed(exc)
            return not self._closed(limit)
        self._outage.succeeded()
        return allowed

    def exhausted(self, limit: Limit, *identifiers: str) -> bool:
        try:
            exhausted = not self._limiter.test(self._rates[limit], limit.value, *identifiers)
        except Exception as exc:  # noqa: BLE001 - as in allow()
            self._outage.failed(exc)
            return self._closed(limit)
        self._outage.succeeded()
        return exhausted

    def _closed(self, limit: Limit) -> bool:
        """Whether ``limit`` refuses while its storage is down. Service-account logins stay
        open even when limits fail closed: their secrets are 256 random bits, so the limit
        only slows guessing that cannot succeed, and closing it would refuse every caller."""
        return self._fail_closed and limit is not Limit.AUTH_FAILURES_PER_ADDRESS

    def reachable(self) -> bool:
        try:
            return bool(self._storage.check())
        except Exception:  # noqa: BLE001 - any failure means unreachable
            return False


def limiter_from(settings: Settings) -> Limiter | Unlimited:
    return Unlimited() if settings.rate_limits == "off" else Limiter(settings)
