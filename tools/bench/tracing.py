"""Reading libpq's protocol trace: how many statements and round trips a stretch of it shows.
No side effects on import (tools.bench.counting installs the hooks)."""

from __future__ import annotations

import tempfile
from typing import Any

STATEMENTS_HEADER = "X-Bench-Statements"
ROUND_TRIPS_HEADER = "X-Bench-Round-Trips"


def count_trace(text: str, last: str = "") -> tuple[int, int, str]:
    """Statements (frontend Query and Sync messages) and round trips (turns from sending to
    receiving) in trace lines; ``last`` is the direction the previous stretch ended with."""
    statements = turns = 0
    for line in text.splitlines():
        fields = line.split("\t")
        direction = next((f for f in fields[:2] if f in ("F", "B")), "")
        if not direction:
            continue
        kind = (
            fields[fields.index(direction) + 2] if len(fields) > fields.index(direction) + 2 else ""
        )
        if direction == "F" and kind.split()[:1] in (["Query"], ["Sync"]):
            statements += 1
        if direction == "B" and last == "F":
            turns += 1
        last = direction
    return statements, turns, last


class Trace:
    """One PostgreSQL connection's trace file, read on from where the last request left it."""

    def __init__(self, pgconn: Any, directory: str | None = None) -> None:
        descriptor, self.path = tempfile.mkstemp(prefix="bench-trace-", dir=directory)
        pgconn.trace(descriptor)
        self.offset = 0
        self.last = ""

    def read(self) -> tuple[int, int]:
        """Statements and round trips since the last read (whole lines only)."""
        with open(self.path, "rb") as trace:
            trace.seek(self.offset)
            data = trace.read()
        complete = data.rfind(b"\n") + 1
        self.offset += complete
        statements, turns, self.last = count_trace(
            data[:complete].decode("utf-8", "replace"), self.last
        )
        return statements, turns
