"""A progress line for long commands (import, export, rehash) on standard error."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """A progress line on stderr with rate and time left: rewritten in place on a terminal, one
    line per ``interval`` seconds elsewhere (logs stay short)."""

    def __init__(
        self,
        total: int,
        stream: TextIO | None = None,
        *,
        verb: str = "imported",
        noun: str = "users",
        interval: float = 10.0,
    ) -> None:
        self._total = max(total, 0)
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._started = time.monotonic()
        self._last = -interval
        self._interval = 0.0 if self._tty else interval
        self._words = (verb, noun)
        self._written = False

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last < self._interval and done < self._total:
            return
        self._last = now
        elapsed = max(now - self._started, 1e-6)
        rate = done / elapsed
        share = f" ({100 * done // self._total}%)" if self._total else ""
        left = f", {(self._total - done) / rate:.0f}s left" if rate and self._total > done else ""
        verb, noun = self._words
        line = f"{verb} {done}/{self._total} {noun}{share}, {rate:.0f}/s{left}"
        self._stream.write(f"\r{line}\x1b[K" if self._tty else f"{line}\n")
        self._stream.flush()
        self._written = True

    def close(self) -> None:
        if self._tty and self._written:
            self._stream.write("\n")
