"""Results of a run: the scenario table, the ratios against their targets, the query plans and
the round trips per operation, as text, bench-results.md, bench-results.json and a chart."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tools.bench.envelopes import DEFAULT_APP

RSS_TARGET_MB = 100.0
#: Ratios of two scenarios in the same run (numerator, denominator).
PAIRS = (
    ("questions/ceiling", "questions", "ceiling"),
    ("verify-user/ceiling", "verify-user", "ceiling"),
    ("recovery-flow/hash", "recovery-flow", "hash"),
    ("register/hash", "register", "hash"),
)


def targets(db: str) -> dict[str, tuple[str, float]]:
    """The targets of issue #16; verifyUser's differs by database."""
    return {
        "questions/ceiling": (">=", 0.50),
        "verify-user/ceiling": (">=", 0.35 if db == "postgresql" else 0.45),
        "recovery-flow/hash": (">=", 0.85),
        "register/hash": (">=", 0.90),
        "p99 verify-user 1M/1k": ("<=", 1.25),
    }


def count_label(count: int) -> str:
    for size, suffix in ((1_000_000, "M"), (1000, "k")):
        if count >= size and count % size == 0:
            return f"{count // size}{suffix}"
    return str(count)


@dataclass
class Result:
    scenario: str
    unit: str
    rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    requests: int
    seconds: float
    peak_rss_mb: float | None
    rss_mb: list[float] = field(default_factory=list)
    loadgen: str = ""
    users: int = 0
    error_samples: list[str] = field(default_factory=list)
    load1: float = 0.0
    rounds: list[float] = field(default_factory=list)
    pss_mb: list[float] = field(default_factory=list)
    #: CPU milliseconds per request (flow, hash) by role, and the machine's busy share.
    cpu_ms: dict[str, float] = field(default_factory=dict)
    cpu_busy: float = 0.0


@dataclass
class Run:
    """Everything a report shows, gathered by the runner."""

    meta: dict[str, Any]
    results: list[Result]
    scale: dict[str, Any] = field(default_factory=dict)
    plans: list[dict[str, Any]] = field(default_factory=list)
    round_trips: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def result(self, scenario: str) -> Result | None:
        return next((r for r in self.results if r.scenario == scenario), None)

    @property
    def targets(self) -> dict[str, tuple[str, float]]:
        return targets(self.meta["db"])

    def ratios(self) -> dict[str, float | None]:
        """Throughput ratios over all rounds (and the p99 ratio of the scale check)."""
        out: dict[str, float | None] = {}
        for name, top, bottom in PAIRS:
            a, b = self.result(top), self.result(bottom)
            out[name] = a.rate / b.rate if a and b and b.rate else None
        if self.scale:
            small, large = self.scale["p99_small_ms"], self.scale["p99_large_ms"]
            out["p99 verify-user 1M/1k"] = large / small if small else None
        return out

    def round_ratios(self) -> dict[str, list[float]]:
        """The same ratios per round (rounds run the paired scenarios next to each other)."""
        out = {}
        for name, top, bottom in PAIRS:
            a, b = self.result(top), self.result(bottom)
            if a and b and len(a.rounds) > 1 and len(a.rounds) == len(b.rounds):
                out[name] = [x / y if y else 0.0 for x, y in zip(a.rounds, b.rounds, strict=True)]
        return out


def table(run: Run) -> list[str]:
    rows = [
        "| scenario | users | throughput | p50 ms | p95 ms | p99 ms | errors | requests "
        "| peak RSS/worker MB | load by | load avg |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in run.results:
        rss = f"{r.peak_rss_mb:.1f}" if r.peak_rss_mb is not None else "-"
        users = f"{r.users:,}" if r.users else "-"
        rows.append(
            f"| {r.scenario} | {users} | {r.rate:,.1f} {r.unit} | {r.p50_ms:.2f} | "
            f"{r.p95_ms:.2f} | {r.p99_ms:.2f} | {r.errors} | {r.requests:,} | {rss} | "
            f"{r.loadgen} | {r.load1:.1f} |"
        )
    return rows


def ratio_lines(run: Run) -> list[str]:
    lines = []
    per_round = run.round_ratios()
    for name, value in run.ratios().items():
        op, target = run.targets[name]
        label = name
        if name.startswith("p99") and run.scale:
            label = (
                f"p99 verify-user {count_label(run.scale['large_users'])}/"
                f"{count_label(run.scale['small_users'])} users"
            )
        if value is None:
            lines.append(f"- {label}: n/a")
            continue
        met = value >= target if op == ">=" else value <= target
        rounds = ""
        if name in per_round:
            rounds = " (per round: " + ", ".join(f"{x:.2f}" for x in per_round[name]) + ")"
        lines.append(
            f"- {label}: **{value:.2f}**{rounds} (target {op} {target:.2f}: "
            f"{'met' if met else 'not met'})"
        )
    return lines + rss_lines(run)


def rss_lines(run: Run) -> list[str]:
    service = [r for r in run.results if r.scenario not in ("hash", "ceiling")]
    peaks = [r.peak_rss_mb for r in service if r.peak_rss_mb is not None]
    if not peaks:
        return []
    worst = max(peaks)
    verdict = "met" if worst <= RSS_TARGET_MB else "not met"
    pss = [x for r in service for x in r.pss_mb]
    shared = (
        (
            f"; PSS per worker at the end, pages shared with the preloading master "
            f"split: {min(pss):.0f}-{max(pss):.0f} MB"
        )
        if pss
        else ""
    )
    return [
        f"- peak RSS per service worker (VmHWM): **{worst:.1f} MB** (target <= "
        f"{RSS_TARGET_MB:.0f} MB: {verdict}){shared}"
    ]


def _cpu_total(r: Result) -> float:
    """CPU per request of the roles doing the work (the rest of the machine left out)."""
    return sum(ms for role, ms in r.cpu_ms.items() if role != "other")


def cpu_lines(run: Run) -> list[str]:
    """CPU per request by role, and for each ratio the value it would have if both scenarios
    kept every core busy: the CPU budget says what a ratio can reach, busy what waits cost."""
    rows = [r for r in run.results if r.cpu_ms]
    if not rows:
        return []
    lines = [
        "",
        "CPU per request by role (ms of CPU per call, flow or hash; from /proc, every process "
        "of the machine; busy = share of all CPUs in use during the scenario):",
        "",
        "| scenario | measured processes | database | load generator | other | busy |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        ms = r.cpu_ms
        lines.append(
            f"| {r.scenario} | {ms['service']:.3f} | {ms['database']:.3f} | {ms['load']:.3f} "
            f"| {ms['other']:.3f} | {100 * r.cpu_busy:.0f}% |"
        )
    lines.append("")
    for name, top, bottom in PAIRS:
        a, b = run.result(top), run.result(bottom)
        if a is None or b is None or not a.cpu_ms or not b.cpu_ms or not _cpu_total(a):
            continue
        lines.append(
            f"- {name} by CPU budget: **{_cpu_total(b) / _cpu_total(a):.2f}** "
            f"({_cpu_total(b):.3f} / {_cpu_total(a):.3f} ms; busy {100 * a.cpu_busy:.0f}% / "
            f"{100 * b.cpu_busy:.0f}%)"
        )
    return lines


def _spread(value: Any, bounds: list[int]) -> str:
    low, high = bounds
    shown = f"{value:g}"
    return shown if low == high else f"{shown} ({low}-{high})"


def round_trip_lines(run: Run) -> list[str]:
    if not run.round_trips:
        return []
    db = run.meta["db"]
    trips = "round trips (protocol turns)" if db == "postgresql" else "round trips (= statements)"
    counted = "Query + Sync messages" if db == "postgresql" else "statements executed"
    lines = [
        "",
        "Round trips per operation (counted from the driver in a separate pass, one worker: the "
        "median of the calls, their range when they differ):",
        "",
        f"| operation | calls | {trips} | {counted} |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in run.round_trips:
        lines.append(
            f"| {row['operation']} | {row['calls']} | "
            f"{_spread(row['round_trips'], row['round_trips_range'])} | "
            f"{_spread(row['statements'], row['statements_range'])} |"
        )
    return lines


def header(run: Run) -> str:
    m = run.meta
    config = Path(m["gunicorn_config"]).name if m["gunicorn_config"] else "its defaults"
    return (
        f"Run {m['started']} ({m['wall_seconds']} s): {m['db']}, {m['workers']} gunicorn sync "
        f"workers, {m['users']:,} users, concurrency {m['concurrency']}, "
        f"{m['duration_s']:g} s per scenario in {m['rounds']} interleaved round(s), load by "
        f"{m['loadgen']}"
        f", gunicorn settings of {config}"
        f"{'' if m['app'] == DEFAULT_APP else ', app ' + m['app']}; {m['cpus']} CPUs, "
        f"load average {m['loadavg_before'][0]} before / {m['loadavg_after'][0]} after "
        "(the load generator shares the CPUs; other processes may have been running)."
    )


def plan_lines(run: Run) -> list[str]:
    lines = ["", "Query plans of the verifyUser lookups:"]
    for plan in run.plans:
        lines.append(f"- {plan['lookup']} (index used: {'yes' if plan['uses_index'] else 'NO'}):")
        lines += [f"      {line}" for line in plan["plan"].splitlines()]
    return lines


def write(run: Run, out_dir: str) -> int:
    """Print the report, write bench-results.*; 1 when any request got an error answer."""
    errors = sum(r.errors for r in run.results)
    lines = [header(run), ""] + table(run)
    lines += ["", "Ratios (measured in this run; informational, never judged):"]
    lines += ratio_lines(run)
    lines += cpu_lines(run)
    if run.notes:
        lines += [""] + [f"- {n}" for n in run.notes]
    lines += round_trip_lines(run)
    plans = plan_lines(run)
    print("\n" + "\n".join(lines + plans), flush=True)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "meta": run.meta,
        "results": [asdict(r) for r in run.results],
        "ratios": run.ratios(),
        "ratios_per_round": run.round_ratios(),
        "scale_check": run.scale,
        "targets": {k: {"op": op, "value": v} for k, (op, v) in run.targets.items()},
        "round_trips": run.round_trips,
        "query_plans": run.plans,
        "notes": run.notes,
        "errors": errors,
    }
    (out / "bench-results.json").write_text(json.dumps(payload, indent=2) + "\n")
    (out / "bench-results.md").write_text(
        "\n".join(lines + [line.replace("      ", "    ", 1) for line in plans]) + "\n"
    )
    chart = write_chart(run, out / "bench-results.png")
    written = ["bench-results.json", "bench-results.md"] + ([chart] if chart else [])
    print(f"\nWrote {', '.join(str(out / w) for w in written)}", flush=True)
    if errors:
        print(f"FAILED: {errors} request(s) got an error answer", file=sys.stderr)
        return 1
    print("OK: no errors", flush=True)
    return 0


def write_chart(run: Run, path: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no chart; pip install matplotlib)", flush=True)
        return None
    names = [r.scenario for r in run.results]
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    bars = left.bar(names, [r.rate for r in run.results], color="#4c72b0")
    left.bar_label(bars, labels=[f"{r.rate:,.0f}" for r in run.results], fontsize=8)
    left.set_yscale("log")
    left.set_title("throughput (req/s; flows/s; hashes/s), log scale")
    bars = right.bar(names, [r.p99_ms for r in run.results], color="#dd8452")
    right.bar_label(bars, labels=[f"{r.p99_ms:.1f}" for r in run.results], fontsize=8)
    right.set_yscale("log")
    right.set_title("p99 latency (ms), log scale")
    for axis in (left, right):
        axis.tick_params(axis="x", labelrotation=35)
        for label in axis.get_xticklabels():
            label.set_horizontalalignment("right")
    m = run.meta
    figure.suptitle(
        f"recovery-soap: {m['db']}, {m['workers']} workers, {m['users']:,} users, "
        f"c={m['concurrency']}, {m['cpus']} CPUs (shared, noisy)"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path.name


def versions() -> dict[str, str]:
    from importlib import metadata

    found = {}
    for name in ("spyne", "lxml", "SQLAlchemy", "gunicorn", "libpass", "argon2-cffi", "psycopg"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    if shutil.which("wrk"):
        found["wrk"] = "installed"
    return found
