"""Quiet, bounded logging of a dependency's outage (Redis, SMTP): one record when it starts, at
most one per interval while it lasts (with a count), one when it ends; never a traceback per
request, so an outage cannot flood the logs exactly when an operator needs to read them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class OutageLog:
    """The state of one dependency as its callers see it, logged on change and sparingly."""

    def __init__(
        self,
        logger: logging.Logger,
        dependency: str,
        consequence: str,
        interval_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._dependency = dependency
        self._consequence = consequence
        self._interval = interval_seconds
        self._now = monotonic
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._last_record = 0.0
        self._failures = 0  # since the outage started
        self._unreported = 0  # since the last record

    @property
    def up(self) -> bool:
        return self._down_since is None

    def failed(self, error: BaseException) -> None:
        """One failed use of the dependency."""
        with self._lock:
            now = self._now()
            self._failures += 1
            self._unreported += 1
            if self._down_since is None:
                self._down_since = self._last_record = now
                self._unreported = 0
                self._log.warning(
                    "%s unavailable (%s); %s",
                    self._dependency,
                    type(error).__name__,
                    self._consequence,
                    extra={"dependency": self._dependency, "state": "down"},
                )
            elif now - self._last_record >= self._interval:
                self._log.warning(
                    "%s still unavailable after %.0f s: %d failed uses since the last report",
                    self._dependency,
                    now - self._down_since,
                    self._unreported,
                    extra={"dependency": self._dependency, "state": "down"},
                )
                self._last_record, self._unreported = now, 0

    def succeeded(self) -> None:
        """One successful use: ends an outage, if there was one."""
        if self._down_since is None:  # the common case, without taking the lock
            return
        with self._lock:
            if self._down_since is None:
                return
            self._log.info(
                "%s available again after %.0f s (%d failed uses)",
                self._dependency,
                self._now() - self._down_since,
                self._failures,
                extra={"dependency": self._dependency, "state": "up"},
            )
            self._down_since, self._failures, self._unreported = None, 0, 0
