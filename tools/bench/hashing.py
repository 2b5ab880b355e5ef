"""The machine's hashing capacity with N worker processes: N fresh processes hashing with the
service's SlowHasher (default settings) side by side for the same time, in hashes/s over all."""

from __future__ import annotations

import multiprocessing
import time
from array import array
from typing import Any

from tools.bench.load import summarise
from tools.bench.server import vm_hwm_mb

_BARRIER: Any = None
_HASHER: Any = None


def _pool_init(barrier: Any) -> None:
    """Every pool process takes exactly one job per run: each waits for all the others."""
    global _BARRIER
    _BARRIER = barrier


def _hash_worker(job: dict[str, Any]) -> dict[str, Any]:
    from recovery_soap.config import Settings
    from recovery_soap.core.passwords import SlowHasher

    global _HASHER
    if _HASHER is None:
        defaults = Settings()
        _HASHER = SlowHasher(defaults.argon2_memory_kib, defaults.argon2_time_cost)
    hasher = _HASHER
    _BARRIER.wait(timeout=60)
    while time.monotonic() < job["start_at"]:
        time.sleep(0.001)
    deadline = job["start_at"] + job["duration"]
    latencies = array("d")
    last = job["start_at"]
    count = 0
    while time.monotonic() < deadline:
        began = time.monotonic()
        hasher.hash(f"Bench#Passw0rd-{count}")
        last = time.monotonic()
        latencies.append(last - began)
        count += 1
    return {
        "count": count,
        "errors": 0,
        "samples": [],
        "latencies": latencies.tobytes(),
        "last": last,
        "start": job["start_at"],
        "rss": vm_hwm_mb(),
    }


class HashPool:
    """As many fresh processes as workers, hashing with SlowHasher for a given time."""

    def __init__(self, processes: int) -> None:
        # spawn: fresh interpreters, so their peak RSS is the hasher's, not this script's
        context = multiprocessing.get_context("spawn")
        self.pool = context.Pool(processes, _pool_init, (context.Barrier(processes),))
        self.processes = processes
        self.pool.map(
            _hash_worker,
            [{"start_at": 0, "duration": 0}] * processes,  # imports
            chunksize=1,
        )

    def run(self, duration: float) -> dict[str, Any]:
        start_at = time.monotonic() + 0.5
        jobs = [{"start_at": start_at, "duration": duration} for _ in range(self.processes)]
        parts = self.pool.map(_hash_worker, jobs, chunksize=1)
        result = summarise(parts, "in-process")
        result["rss_mb"] = [p["rss"] for p in parts if p["rss"] is not None]
        return result

    def pids(self) -> list[int]:
        return [process.pid for process in self.pool._pool]  # type: ignore[attr-defined]

    def close(self) -> None:
        self.pool.close()
        self.pool.join()
