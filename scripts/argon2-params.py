#!/usr/bin/env python3
"""Measure argon2id hash time on this machine and recommend parameters.

    python scripts/argon2-params.py [--runs 9]

Times argon2id (argon2-cffi, the library passlib uses; p=1) for memory 19456/47104/65536 KiB and
t=1..3, each in a fresh process so its peak RSS can be read too, and recommends the set closest to
20-50 ms per hash among those at least as strong as OWASP's minimum (m=19456 KiB, t=2, p=1; OWASP
also lists m=47104 KiB, t=1 as equivalent: a set counts when it is at least one of OWASP's
configurations in both memory and iterations). Among sets inside the window, the one with less
memory wins (each hash in flight adds its memory to a worker's RSS), then the stronger one.
The current settings are RECOVERY_ARGON2_MEMORY_KIB / RECOVERY_ARGON2_TIME_COST.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

MEMORY_KIB = (19456, 47104, 65536)
TIME_COST = (1, 2, 3)
WINDOW_MS = (20.0, 50.0)
#: OWASP Password Storage Cheat Sheet argon2id configurations (memory KiB, iterations), p=1.
OWASP = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))

PROBE = r"""
import json, sys, time
from argon2.low_level import Type, hash_secret
memory, rounds, runs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
salt = b"0123456789abcdef"
hash_secret(b"warm-up", salt, time_cost=rounds, memory_cost=memory, parallelism=1,
            hash_len=32, type=Type.ID)
times = []
for i in range(runs):
    began = time.perf_counter()
    hash_secret(b"password-%d" % i, salt, time_cost=rounds, memory_cost=memory, parallelism=1,
                hash_len=32, type=Type.ID)
    times.append(time.perf_counter() - began)
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"times": times, "peak_kib": peak}))
"""


def owasp_ok(memory: int, rounds: int) -> bool:
    return any(memory >= m and rounds >= t for m, t in OWASP)


def distance(ms: float) -> float:
    low, high = WINDOW_MS
    return 0.0 if low <= ms <= high else (low - ms if ms < low else ms - high)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="hashes timed per set (median)")
    args = parser.parse_args()
    baseline = json.loads(
        subprocess.run(
            [sys.executable, "-c", PROBE, "8", "1", "1"], capture_output=True, text=True, check=True
        ).stdout
    )["peak_kib"]
    rows = []
    print(f"argon2id, p=1, median of {args.runs} hashes (2-core machine, shared: expect noise)")
    print(
        f"{'memory KiB':>10} {'t':>2} {'median ms':>10} {'min ms':>7} {'max ms':>7} "
        f"{'hashes/s/core':>13} {'+RSS MB':>8}  OWASP minimum"
    )
    for memory in MEMORY_KIB:
        for rounds in TIME_COST:
            began = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", PROBE, str(memory), str(rounds), str(args.runs)],
                capture_output=True,
                text=True,
                check=True,
            )
            data = json.loads(out.stdout)
            times = [t * 1000 for t in data["times"]]
            median = statistics.median(times)
            row = {
                "memory_kib": memory,
                "time_cost": rounds,
                "median_ms": median,
                "min_ms": min(times),
                "max_ms": max(times),
                "extra_rss_mb": (data["peak_kib"] - baseline) / 1024,
                "owasp_ok": owasp_ok(memory, rounds),
                "wall_s": time.perf_counter() - began,
            }
            rows.append(row)
            print(
                f"{memory:>10} {rounds:>2} {median:>10.1f} {min(times):>7.1f} "
                f"{max(times):>7.1f} {1000 / median:>13.1f} {row['extra_rss_mb']:>8.1f}  "
                f"{'yes' if row['owasp_ok'] else 'no (below)'}"
            )
    candidates = [r for r in rows if r["owasp_ok"]]
    best = min(
        candidates,
        key=lambda r: (
            distance(r["median_ms"]),
            r["memory_kib"],
            -r["memory_kib"] * r["time_cost"],
        ),
    )
    inside = distance(best["median_ms"]) == 0
    print(
        f"\nRecommended: m={best['memory_kib']} KiB, t={best['time_cost']}, p=1 "
        f"({best['median_ms']:.1f} ms per hash, {'inside' if inside else 'nearest to'} the "
        f"{WINDOW_MS[0]:.0f}-{WINDOW_MS[1]:.0f} ms window, +{best['extra_rss_mb']:.0f} MB RSS "
        "per hash in flight)"
    )
    print(
        f"    RECOVERY_ARGON2_MEMORY_KIB={best['memory_kib']} "
        f"RECOVERY_ARGON2_TIME_COST={best['time_cost']}"
    )
    others = [r for r in candidates if r is not best and distance(r["median_ms"]) == 0]
    if others:
        print(
            "Also inside the window: "
            + "; ".join(
                f"m={r['memory_kib']} t={r['time_cost']} ({r['median_ms']:.1f} ms)" for r in others
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
