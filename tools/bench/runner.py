"""A whole benchmark run: database and users, the served application, the ceiling and the hash
pool, interleaved rounds of the scenarios, the scale check, the round-trip pass, the report."""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import secrets
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools.bench import report
from tools.bench.ceiling import SPEC_VARIABLE, ceiling_spec
from tools.bench.envelopes import (
    ACCOUNT,
    QUESTIONS_BODY,
    ROOT,
    SERVICE_PATH,
    USER_PASSWORD,
    response_ok,
)
from tools.bench.hashing import HashPool
from tools.bench.load import run_builtin
from tools.bench.measure import (
    ROUND_ORDER,
    SCENARIOS,
    Measurer,
    aggregate,
    report_line,
    round_seconds,
)
from tools.bench.plans import explain_lookups
from tools.bench.report import Result, count_label
from tools.bench.roundtrips import count_round_trips, summary
from tools.bench.seed import Database, seed_users
from tools.bench.server import Gunicorn


def post_once(url: str, auth: str, body: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url + SERVICE_PATH,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "text/xml; charset=UTF-8",
            "SOAPAction": '""',
            "Authorization": auth,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.run_id = secrets.token_hex(3)
        self.secret = secrets.token_urlsafe(24)
        self.secret_key = secrets.token_hex(32)
        self.auth = "Basic " + base64.b64encode(f"{ACCOUNT}:{self.secret}".encode()).decode()
        self.meter = Measurer(args.loadgen, args.concurrency, args.workers, self.auth)
        self.run_data = report.Run(meta={}, results=[])
        self.servers: list[Gunicorn] = []
        self.seeded = 0

    # --- the pieces of a run ---------------------------------------------------------------

    def app_env(self, database_url: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
        env.update(
            {
                "RECOVERY_DATABASE_URL": database_url,
                "RECOVERY_RATE_LIMITS": "off",
                "RECOVERY_CAPTCHA_VERIFICATION": "off",
                "RECOVERY_NOTIFICATION_SENDING": "external",
                "RECOVERY_BOOTSTRAP_ACCOUNT": f"{ACCOUNT}:{self.secret}",
                "RECOVERY_SECRET_KEY": self.secret_key,
                "RECOVERY_LOG_LEVEL": "WARNING",
            }
        )
        env.update(self.args.env)
        return env

    def create_account(self, database: Database) -> None:
        """The bootstrap account, made once before the workers start (each worker then resets
        it to the same secret, as RECOVERY_BOOTSTRAP_ACCOUNT asks, without racing to insert it)."""
        from recovery_soap.app import apply_bootstrap_account, build_services
        from recovery_soap.config import load_settings

        settings = load_settings(self.app_env(database.url))
        apply_bootstrap_account(
            build_services(settings, database.engine), settings.bootstrap_account
        )

    def serve(
        self, app: str, env: dict[str, str], name: str, workers: int, pythonpath: str | None
    ) -> Gunicorn:
        server = Gunicorn(
            app,
            env,
            workers,
            self.workdir,
            name,
            self.args.gunicorn_config,
            pythonpath=Path(pythonpath) if pythonpath else None,
        )
        self.servers.append(server)
        self.meter.servers.append(server)
        return server

    def warm_up(self, server: Gunicorn, users: int) -> None:
        """A second of mixed load, so every worker has compiled its statements and caches."""
        for scenario in ("questions", "verify-user"):
            run_builtin(
                scenario, server.port, self.auth, users, max(2, server.workers), 0.5, self.run_id
            )

    def seed(self, database: Database, upto: int, password_hash: str, what: str) -> None:
        took = seed_users(
            database.engine, self.seeded + 1, upto + 1, password_hash, progress=upto > 100_000
        )
        print(f"{what} {upto:,} users in {took:.1f} s", flush=True)
        self.seeded = upto

    def start_ceiling(self, questions: bytes) -> Gunicorn:
        """The minimal lxml handler under the same gunicorn settings, checked to answer the same
        bytes as the service."""
        env = {**os.environ, SPEC_VARIABLE: json.dumps(ceiling_spec(questions))}
        server = self.serve(
            "tools.bench.ceiling:application", env, "ceiling", self.args.workers, str(ROOT)
        )
        server.wait_ready("/healthz")
        status, body = post_once(server.url, self.auth, QUESTIONS_BODY)
        same = status == 200 and body == questions
        self.run_data.notes.append(
            "the ceiling's answer is byte-identical to the service's"
            if same
            else "the ceiling's answer differs from the service's (check the harness)"
        )
        print(f"Ceiling answer byte-identical to the service's: {same}", flush=True)
        return server

    def load(self, scenario: str, server: Gunicorn, label: str) -> Result:
        """A scenario on its own (no interleaving), for the scale check."""
        duration = round_seconds(self.args.duration, self.args.rounds)
        parts = []
        for round_no in range(self.args.rounds):
            print(f"- {label}: {self.meter.describe(scenario, duration)}", flush=True)
            parts.append(
                self.meter.measure(
                    scenario, server, self.seeded, duration, f"{self.run_id}{round_no}"
                )
            )
        result = aggregate(scenario, parts)
        result.scenario = label
        report_line(result)
        return result

    def interleaved(self, app: Gunicorn, ceiling: Gunicorn | None, wanted: list[str]) -> None:
        """Rounds in which the scenarios compared with each other run side by side in time, so
        that load from other processes hits both alike."""
        args = self.args
        order = [s for s in ROUND_ORDER if s in wanted]
        parts: dict[str, list[dict[str, Any]]] = {s: [] for s in order}
        duration = round_seconds(args.duration, args.rounds)
        servers = {"ceiling": ceiling, "hash": None}
        for round_no in range(args.rounds):
            for scenario in order:
                server = servers.get(scenario, app)
                tag = f" (round {round_no + 1}/{args.rounds})" if args.rounds > 1 else ""
                print(f"- {scenario}{tag}: {self.meter.describe(scenario, duration)}", flush=True)
                part = self.meter.measure(
                    scenario, server, self.seeded, duration, f"{self.run_id}{round_no}"
                )
                parts[scenario].append(part)
                report_line(aggregate(scenario, [part]))
        if args.rounds > 1:
            print("All rounds:", flush=True)
        for scenario in wanted:
            result = aggregate(scenario, parts[scenario])
            self.run_data.results.append(result)
            if args.rounds > 1:
                print(f"- {scenario}", flush=True)
                report_line(result)

    def scale_check(
        self, app: Gunicorn, database: Database, password_hash: str, first: int
    ) -> None:
        """verify-user p99 at the first seeded size and at --scale-users."""
        results = self.run_data.results
        if self.seeded < self.args.scale_users:
            print(f"Seeding up to {self.args.scale_users:,} users for the scale check", flush=True)
            self.seed(database, self.args.scale_users, password_hash, "Seeded up to")
            self.warm_up(app, self.seeded)
            large = self.load("verify-user", app, f"verify-user@{count_label(self.seeded)}")
            results.append(large)
        else:
            large = next(r for r in results if r.scenario == "verify-user")
        small = next(
            r for r in results if r.scenario.startswith("verify-user") and r.users == first
        )
        self.run_data.scale = {
            "small_users": small.users,
            "large_users": large.users,
            "p99_small_ms": small.p99_ms,
            "p99_large_ms": large.p99_ms,
        }

    def count_round_trips(self, database: Database) -> None:
        """The separate measuring pass: one worker serving the counting wrapper."""
        calls = self.args.round_trip_calls
        if calls < 1:
            return
        env = {
            **self.app_env(database.url),
            "BENCH_COUNTED_APP": self.args.app,
            "BENCH_TRACE_DIR": str(self.workdir),
        }
        path = ",".join(str(p) for p in (ROOT, self.args.pythonpath) if p)
        server = self.serve("tools.bench.counting:application", env, "counting", 1, path)
        server.wait_ready("/readyz")
        print(f"Round trips per operation: {calls} calls each, one worker", flush=True)
        counts = count_round_trips(server.port, self.auth, self.run_id, calls)
        server.stop()
        self.run_data.round_trips = summary(counts)
        self.run_data.notes += [f"round-trip pass: {p}" for p in counts.problems[:5]]

    # --- the run ---------------------------------------------------------------------------

    def run(self) -> int:
        args = self.args
        self.workdir = Path(tempfile.mkdtemp(prefix="recovery-bench-"))
        self.meter.workdir = self.workdir
        database: Database | None = None
        started, load_before = time.time(), os.getloadavg()
        try:
            print(
                f"Database: {args.db}; workers {args.workers}; users {args.users:,}; "
                f"concurrency {args.concurrency}; {args.duration:g} s per scenario in "
                f"{args.rounds} round(s); load generator "
                f"{'wrk' if self.meter.use_wrk else 'built-in'}",
                flush=True,
            )
            database = Database(args.db, self.workdir, args.postgres_url)
            self.measure_all(database)
        finally:
            for server in self.servers:
                server.stop()
            if self.meter.hash_pool is not None:
                self.meter.hash_pool.close()
            if database is not None:
                database.drop()
            if not args.keep:
                shutil.rmtree(self.workdir, ignore_errors=True)
        self.run_data.meta = self.meta(started, load_before)
        return report.write(self.run_data, args.out_dir)

    def measure_all(self, database: Database) -> None:
        args = self.args
        from recovery_soap.config import Settings
        from recovery_soap.core.passwords import SlowHasher

        defaults = Settings()
        hasher = SlowHasher(defaults.argon2_memory_kib, defaults.argon2_time_cost)
        password_hash = hasher.hash(USER_PASSWORD)
        wanted = [s for s in SCENARIOS if s in args.scenarios]
        first = min(1000, args.users) if args.scale_check else args.users
        self.seed(database, first, password_hash, "Seeded")

        app, questions = self.start_service(database)

        if args.scale_check and (args.users > self.seeded or "verify-user" not in wanted):
            print(f"Scale check: verify-user at {self.seeded:,} users", flush=True)
            label = f"verify-user@{count_label(self.seeded)}"
            self.run_data.results.append(self.load("verify-user", app, label))
        if args.users > self.seeded:
            self.seed(database, args.users, password_hash, "Seeded up to")
            self.warm_up(app, self.seeded)

        ceiling = self.start_ceiling(questions) if "ceiling" in wanted else None
        if "hash" in wanted:
            self.meter.hash_pool = HashPool(args.workers)
        self.interleaved(app, ceiling, wanted)
        if args.scale_check:
            self.scale_check(app, database, password_hash, first)
        for server, what in ((app, "service"), (ceiling, "ceiling")):
            if server is not None and server.restarts:
                self.run_data.notes.append(
                    f"{server.restarts} {what} worker(s) were recycled during "
                    "the run (max_requests of the gunicorn settings)"
                )
        self.count_round_trips(database)
        self.run_data.plans = explain_lookups(database.engine)

    def start_service(self, database: Database) -> tuple[Gunicorn, bytes]:
        """The application under test, ready and warm; its getAllChallengeQuestions answer."""
        args = self.args
        self.create_account(database)
        app = self.serve(args.app, self.app_env(database.url), "app", args.workers, args.pythonpath)
        app.wait_ready("/readyz")
        status, questions = post_once(app.url, self.auth, QUESTIONS_BODY)
        if not response_ok("questions", status, questions):
            raise RuntimeError(f"getAllChallengeQuestions failed: {status} {questions[:500]!r}")
        self.warm_up(app, self.seeded)
        return app, questions

    def meta(self, started: float, load_before: tuple[float, float, float]) -> dict[str, Any]:
        args = self.args
        return {
            "started": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
            "wall_seconds": round(time.time() - started, 1),
            "db": args.db,
            "workers": args.workers,
            "users": self.seeded,
            "concurrency": args.concurrency,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "loadgen": "wrk" if self.meter.use_wrk else "built-in",
            "gunicorn_config": str(args.gunicorn_config) if args.gunicorn_config else None,
            "quick": args.quick,
            "cpus": os.cpu_count(),
            "app": args.app,
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "machine": platform.machine(),
            "versions": report.versions(),
            "round_trip_calls": args.round_trip_calls,
        }
