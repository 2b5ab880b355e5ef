"""One bounded run of a scenario by the right generator, and rounds merged into one Result."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from tools.bench import cpu
from tools.bench.hashing import HashPool
from tools.bench.load import percentile, run_builtin
from tools.bench.report import Result
from tools.bench.server import Gunicorn
from tools.bench.wrk import run_wrk

SCENARIOS = (
    "questions",
    "claims",
    "verify-user",
    "recovery-flow",
    "register",
    "ceiling",
    "hash",
)
#: The order scenarios run in, each round: pairs that are compared run next to each other.
ROUND_ORDER = ("questions", "ceiling", "verify-user", "claims", "recovery-flow", "register", "hash")
UNITS = {"recovery-flow": "flows/s", "hash": "hashes/s"}


def round_seconds(total: float, rounds: int) -> int:
    """Seconds per round: whole seconds (wrk takes no fractions), at least one."""
    return max(1, round(total / rounds))


class Measurer:
    """Runs scenarios against a server (or the hash pool) with the run's load settings."""

    def __init__(self, loadgen: str, concurrency: int, workers: int, auth: str) -> None:
        self.use_wrk = loadgen == "wrk" or (loadgen == "auto" and bool(shutil.which("wrk")))
        if loadgen == "wrk" and not shutil.which("wrk"):
            raise SystemExit("--loadgen wrk: wrk is not installed (apt-get install -y wrk)")
        self.concurrency, self.workers, self.auth = concurrency, workers, auth
        self.hash_pool: HashPool | None = None
        self.workdir = Path(".")
        self.servers: list[Gunicorn] = []  # every server of the run: the idle ones count as other

    def measure(
        self, scenario: str, server: Gunicorn | None, users: int, duration: float, run_id: str
    ) -> dict[str, Any]:
        """One bounded run of a scenario; the raw numbers (see aggregate())."""
        if scenario == "hash":
            assert self.hash_pool is not None
            measured = self.hash_pool.pids()
        else:
            assert server is not None
            measured = server.pids()
        idle = [pid for other in self.servers if other is not server for pid in other.pids()]
        before = cpu.snapshot()
        data = self._run(scenario, server, users, duration, run_id)
        data["cpu_s"] = cpu.spent(before, cpu.snapshot(), measured, idle)
        if server is not None:
            data["rss_mb"] = server.peak_rss_mb()
            data["pss_mb"] = server.pss_mb()
        data["load1"] = os.getloadavg()[0]
        data["users"] = users
        return data

    def _run(
        self, scenario: str, server: Gunicorn | None, users: int, duration: float, run_id: str
    ) -> dict[str, Any]:
        if scenario == "hash":
            assert self.hash_pool is not None
            data = self.hash_pool.run(duration)
        elif scenario == "recovery-flow" or not self.use_wrk:
            assert server is not None
            data = run_builtin(
                scenario, server.port, self.auth, users, self.concurrency, duration, run_id
            )
        else:
            assert server is not None
            data = run_wrk(
                scenario,
                server.url,
                self.auth,
                users,
                self.concurrency,
                duration,
                self.workdir,
                run_id,
            )
        return data

    def describe(self, scenario: str, duration: float) -> str:
        if scenario == "hash":
            return f"{self.workers} processes, {duration:g} s"
        gen = "built-in generator" if scenario == "recovery-flow" or not self.use_wrk else "wrk"
        return f"{self.concurrency} connections, {duration:g} s ({gen})"


def _percentiles(parts: list[dict[str, Any]], requests: int) -> tuple[float, float, float]:
    if all("latencies" in p for p in parts):
        merged = sorted(x for p in parts for x in p["latencies"])
        p50, p95, p99 = (percentile(merged, f) * 1000 for f in (0.50, 0.95, 0.99))
        return p50, p95, p99

    def weighted(key: str) -> float:
        return float(sum(p[key] * p["requests"] for p in parts) / max(1, requests))

    return weighted("p50_ms"), weighted("p95_ms"), weighted("p99_ms")


def aggregate(scenario: str, parts: list[dict[str, Any]]) -> Result:
    """Rounds of one scenario as one result: rate = all requests / all time; percentiles
    exact over every sample (built-in generator, hash) or, for wrk, the request-weighted
    mean of each round's percentile."""
    requests = sum(p["requests"] for p in parts)
    seconds = sum(p["seconds"] for p in parts)
    p50, p95, p99 = _percentiles(parts, requests)
    rss: list[float] = parts[-1].get("rss_mb") or []
    pss: list[float] = parts[-1].get("pss_mb") or []
    served = scenario not in ("hash", "ceiling")  # by the service: the seeded users count
    return Result(
        scenario=scenario,
        unit=UNITS.get(scenario, "req/s"),
        rate=requests / seconds if seconds else 0.0,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        max_ms=max(p["max_ms"] for p in parts),
        errors=sum(p["errors"] for p in parts),
        requests=requests,
        seconds=seconds,
        peak_rss_mb=max(rss) if rss else None,
        rss_mb=rss,
        loadgen=parts[0]["loadgen"],
        users=parts[0]["users"] if served else 0,
        error_samples=[e for p in parts for e in p["error_samples"]][:5],
        load1=round(max(p["load1"] for p in parts), 2),
        rounds=[round(p["rate"], 1) for p in parts],
        pss_mb=[round(x, 1) for x in pss],
        cpu_ms=cpu.per_request(
            {role: sum(p["cpu_s"][role] for p in parts if "cpu_s" in p) for role in cpu.ROLES},
            requests,
        ),
        cpu_busy=round(
            sum(sum(p["cpu_s"].values()) for p in parts if "cpu_s" in p)
            / max(1e-9, seconds * (os.cpu_count() or 1)),
            3,
        ),
    )


def report_line(r: Result) -> None:
    rss = f"{r.peak_rss_mb:.0f} MB" if r.peak_rss_mb is not None else "-"
    print(
        f"  {r.rate:9.1f} {r.unit:<9} p50 {r.p50_ms:7.2f} ms  p95 {r.p95_ms:7.2f} ms  "
        f"p99 {r.p99_ms:7.2f} ms  errors {r.errors}  peak RSS/worker {rss}",
        flush=True,
    )
    for sample in r.error_samples:
        print(f"    error: {sample}", flush=True)
