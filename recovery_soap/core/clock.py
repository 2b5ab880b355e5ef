"""The real clock; tests inject their own."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        """The current time as naive UTC, the form every stored timestamp has."""
        return datetime.now(UTC).replace(tzinfo=None)
