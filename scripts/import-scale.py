#!/usr/bin/env python3
"""Measure the WSO2 import at scale: build a WSO2 store (scripts/make-wso2-fixture.py: a tenth
of the users in a second tenant, half with two challenge answers, a tenth locked), import it
into an empty target, import it again unchanged, then run `recovery-soap rehash` for a while
and compare its rate with the argon2 hash rate of the configured parameters on every core.
Prints a Markdown table: time, users/s, peak RSS of each step (each step is its own process).

    python scripts/import-scale.py --users 50000                        # MariaDB -> PostgreSQL
    python scripts/import-scale.py --users 20000 --source sqlite --target sqlite

The databases: MariaDB at mysql+pymysql://root@127.0.0.1:3306 (a database scale_src is
replaced), PostgreSQL at postgresql+psycopg://postgres@127.0.0.1:5432/import_scale (created;
schemas scale_src and scale_target are replaced), SQLite files in a temporary directory.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
MARIADB = "mysql+pymysql://root@127.0.0.1:3306"
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
#: A database of its own: schemas in the test database would confuse catalogue-wide test queries.
POSTGRES = f"{SERVER}/import_scale"


def fixture() -> object:
    spec = importlib.util.spec_from_file_location(
        "make_wso2_fixture", HERE / "make-wso2-fixture.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_wso2_fixture"] = module
    spec.loader.exec_module(module)
    return module


def pg_schema(name: str) -> str:
    server = create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        if not connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = 'import_scale'")
        ).first():
            connection.execute(text("CREATE DATABASE import_scale"))
    server.dispose()
    engine = create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    engine.dispose()
    return f"{POSTGRES}?options=-csearch_path%3D{name}"


def source_url(kind: str, work: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{work / 'wso2.db'}"
    if kind == "postgresql":
        return pg_schema("scale_src")
    engine = create_engine(MARIADB)
    with engine.begin() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS scale_src"))
        connection.execute(text("CREATE DATABASE scale_src CHARACTER SET utf8mb4"))
    engine.dispose()
    return f"{MARIADB}/scale_src?charset=utf8mb4"


def target_url(kind: str, work: Path) -> str:
    return f"sqlite:///{work / 'target.db'}" if kind == "sqlite" else pg_schema("scale_target")


def measured(argv: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(seconds, peak RSS in MB, stdout) of one command run as a process of its own."""
    started = time.monotonic()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    out = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if process.returncode not in (0, 130):
        raise SystemExit(f"{' '.join(argv[:4])} failed ({process.returncode}): {out[-400:]}")
    return seconds, usage.ru_maxrss // 1024, out


WARM_UP = 10.0


def wrapped_count(url: str) -> int:
    """Passwords and answers wrapped by rehash so far."""
    engine = create_engine(url)
    with engine.connect() as connection:
        found = sum(
            int(connection.execute(text(query)).scalar_one())
            for query in (
                "SELECT count(*) FROM users WHERE password_hash LIKE '$wso2-sha256$%'",
                "SELECT count(*) FROM challenge_answers WHERE answer_hash LIKE '$wso2-sha256$%'",
            )
        )
    engine.dispose()
    return found


def _hashes(args: tuple[int, int, int]) -> int:
    from recovery_soap.core.passwords import SlowHasher

    memory, rounds, count = args
    hasher = SlowHasher(memory, rounds)
    for i in range(count):
        hasher.hash(f"probe-{i}")
    return count


def argon2_rate(memory: int, rounds: int, seconds: float) -> float:
    """argon2id hashes a second with these parameters on every core."""
    cores = os.cpu_count() or 1
    per = max(2, int(seconds * 5))
    started = time.monotonic()
    with ProcessPoolExecutor(cores) as pool:
        done = sum(pool.map(_hashes, [(memory, rounds, per)] * cores))
    return done / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--source", choices=["mariadb", "postgresql", "sqlite"], default="mariadb")
    parser.add_argument("--target", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--rehash-seconds", type=float, default=30.0)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()

    from recovery_soap.config import Settings

    defaults = Settings()
    work = Path(tempfile.mkdtemp(prefix="import-scale-"))
    script = fixture()
    source, target = source_url(args.source, work), target_url(args.target, work)
    rows: list[tuple[str, float, str, int | str]] = []

    started = time.monotonic()
    users = script.iter_users(args.users, other_every=10, answers_every=2, locked_every=10)  # type: ignore[attr-defined]
    script.build(source, users, lower_case=args.source == "postgresql", chunk=5000)  # type: ignore[attr-defined]
    rows.append(("build source", time.monotonic() - started, "", "-"))

    env = dict(os.environ, RECOVERY_DATABASE_URL=target, RECOVERY_IMPORT_SOURCE=source)
    cli = [sys.executable, "-m", "recovery_soap.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    run = [*cli, "import", "wso2", "--json", "--allow-skips", "--batch-size", str(args.batch_size)]
    for label in ("import", "re-import, unchanged"):
        seconds, rss, out = measured(run, env)
        report = json.loads(out)
        detail = f"created {report['created']}, unchanged {report['unchanged']}"
        rows.append((f"{label} ({detail})", seconds, f"{args.users / seconds:,.0f}", rss))

    probe = min(args.rehash_seconds, 20.0)
    rate = argon2_rate(defaults.argon2_memory_kib, defaults.argon2_time_cost, probe)
    rows.append((f"argon2id, all {os.cpu_count()} cores (reference)", probe, f"{rate:,.1f}", "-"))
    rehash = [*cli, "rehash", "--json", "--batch-size", "20"]
    process = subprocess.Popen(rehash, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    time.sleep(WARM_UP)  # start-up and the first pages are not the steady rate
    first, at = wrapped_count(target), time.monotonic()
    time.sleep(args.rehash_seconds)
    done, seconds = wrapped_count(target) - first, time.monotonic() - at
    process.send_signal(2)  # interrupted, as an operator would: resumable
    _, _, usage = os.wait4(process.pid, 0)
    rehash_rate = done / seconds
    share = 100 * rehash_rate / rate if rate else 0
    rows.append(
        (
            f"rehash, steady {seconds:.0f} s after {WARM_UP:.0f} s ({done} wrapped)",
            seconds,
            f"{rehash_rate:,.1f} ({share:.0f}% of argon2)",
            usage.ru_maxrss // 1024,
        )
    )

    print(
        f"\n{args.users:,} users, {args.source} -> {args.target}, batch {args.batch_size}, "
        f"argon2id m={defaults.argon2_memory_kib} KiB t={defaults.argon2_time_cost}, "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| step | time (s) | users/s | peak RSS (MB) |")
    print("| --- | ---: | ---: | ---: |")
    for label, seconds, speed, rss in rows:
        print(f"| {label} | {seconds:.1f} | {speed} | {rss} |")


if __name__ == "__main__":
    main()
