"""Rate limits with the ``limits`` library: in memory for one process, Redis for many workers.

The core names its limits (``core.guard.Limit``); the settings give each a rate such as
``5/hour``. ``rate_limits=off`` disables them all (load tests, conformance runs).
"""

from __future__ import annotations

import logging

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from recovery_soap.config import Settings
from recovery_soap.core.env import Unlimited
from recovery_soap.core.model import Limit

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

    def allow(self, limit: Limit, *identifiers: str) -> bool:
        """Count one hit; False once the limit is exceeded (the hit is then not counted)."""
        try:
            return bool(self._limiter.hit(self._rates[limit], limit.value, *identifiers))
        except Exception:  # an unreachable Redis must not take the service down: fail open, loudly
            log.exception("rate-limit storage unavailable; allowing the request")
            return True

    def exhausted(self, limit: Limit, *identifiers: str) -> bool:
        try:
            return not self._limiter.test(self._rates[limit], limit.value, *identifiers)
        except Exception:  # fail open, as allow() does
            log.exception("rate-limit storage unavailable; allowing the request")
            return False

    def reachable(self) -> bool:
        try:
            return bool(self._storage.check())
        except Exception:  # noqa: BLE001 - any failure means unreachable
            return False


def limiter_from(settings: Settings) -> Limiter | Unlimited:
    return Unlimited() if settings.rate_limits == "off" else Limiter(settings)
