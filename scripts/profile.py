#!/usr/bin/env python3
"""Profile the hot paths (getAllChallengeQuestions, getUserIdentitySupportedClaims, verifyUser,
registerUser, the four-call e-mail recovery flow) in-process.

    python scripts/profile.py                       # SQLite, 3,000 calls per operation
    python scripts/profile.py --db postgresql --calls 5000 --pyinstrument

Builds the real WSGI application with create_app(Settings(...)) on a temporary database (SQLite
file, or a PostgreSQL schema of its own, dropped afterwards) with the benchmark's settings
(captcha and rate limits off, external notifications, a service account), seeds users as
scripts/bench.py does, then calls the application directly with prepared WSGI environs: first
timed without a profiler (µs per call), then under cProfile (and pyinstrument when asked and
installed). Prints the top functions by own and cumulative time, and the own time by library.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the standard library's `profile`, which cProfile imports: take the
# scripts directory off the path first so that cProfile finds the real one.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.modules.pop("profile", None)

import argparse  # noqa: E402
import base64  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(HERE.parent))
from tools.bench import envelopes as bench  # noqa: E402 - the benchmark's envelopes
from tools.bench import seed  # noqa: E402 - its databases and seeding
from tools.bench.load import recovery_flow  # noqa: E402 - the four calls of the e-mail flow

ACCOUNT = "profile"


def make_environ(body: bytes, auth: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": bench.SERVICE_PATH,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "text/xml; charset=UTF-8",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_SOAPACTION": '""',
        "HTTP_AUTHORIZATION": auth,
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


class Caller:
    """Calls the application like a WSGI server would, checking every answer."""

    def __init__(self, app: Any, auth: str, operation: str, users: int) -> None:
        self.app, self.auth, self.operation, self.users = app, auth, operation, users
        self.count = 0

    def body(self) -> bytes:
        if self.operation == "verify-user":
            self.count += 1
            index = (self.count * 7919) % self.users + 1  # spread over the seeded users
            return bench.verify_user_body(bench.user_name(index)).encode()
        if self.operation == "claims":
            return bench.CLAIMS_BODY.encode()
        if self.operation == "register":
            self.count += 1
            return bench.register_body(f"profile{self.count:07d}").encode()
        return bench.QUESTIONS_BODY.encode()

    def post(self, body: str) -> tuple[int, bytes]:
        """One SOAP call, as tools.bench.load.Client.post makes it over HTTP."""
        status: list[str] = []

        def start_response(line: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(line)
            return lambda data: None

        answer = b"".join(self.app(make_environ(body.encode(), self.auth), start_response))
        return int(status[0].split()[0]), answer

    def __call__(self) -> None:
        if self.operation == "recovery-flow":
            # one "call" is a whole flow: verifyUser, sendRecoveryNotification,
            # verifyConfirmationCode, updatePassword (one argon2 hash)
            self.count += 1
            name = bench.user_name(self.count % self.users + 1)
            ok, why = recovery_flow(self, name)  # type: ignore[arg-type] # same post() as Client
            if not ok:
                raise SystemExit(f"recovery-flow: {why}")
            return
        status, answer = self.post(self.body().decode())
        if not bench.response_ok(self.operation, status, answer):
            raise SystemExit(f"{self.operation}: unexpected answer {status} {answer[:400]!r}")


AREAS = (
    ("spyne", ("spyne",)),
    ("lxml", ("lxml",)),
    ("sqlalchemy", ("sqlalchemy",)),
    ("db driver", ("sqlite3", "psycopg", "_sqlite")),
    ("recovery_soap", ("recovery_soap",)),
    ("passlib/argon2", ("passlib", "argon2")),
    ("logging", ("logging",)),
)


def area_of(filename: str, function: str) -> str:
    text = filename if filename != "~" else function
    for name, needles in AREAS:
        if any(n in text for n in needles):
            return name
    if filename == "~":
        return "builtins (C)"
    return "python stdlib/other"


def by_area(stats: pstats.Stats) -> list[tuple[str, float]]:
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        totals[area_of(filename, function)] += own
    return sorted(totals.items(), key=lambda item: -item[1])


def short(key: tuple[str, int, str]) -> str:
    filename, line, function = key
    if filename == "~":
        return function
    parts = Path(filename).parts
    for anchor in ("site-packages", "recovery_soap", "lib"):
        if anchor in parts:
            index = len(parts) - 1 - parts[::-1].index(anchor)
            parts = parts[index + (anchor != "recovery_soap") :]
            break
    return f"{'/'.join(parts)}:{line}({function})"


def report(stats: pstats.Stats, calls: int, top: int) -> None:
    total = sum(own for (_cc, _nc, own, _cum, _callers) in stats.stats.values())
    print(f"  profiled: {total / calls * 1e6:.0f} µs per call (with profiler overhead)")
    print("  own time by library:")
    for area, own in by_area(stats):
        print(f"    {area:<22} {own / total * 100:5.1f} %")
    rows = [(key, value) for key, value in stats.stats.items()]
    print(f"  top {top} by own time:                                   own %   cum %  calls/req")
    for key, (_cc, nc, own, cum, _callers) in sorted(rows, key=lambda r: -r[1][2])[:top]:
        print(
            f"    {short(key)[:56]:<56} {own / total * 100:5.1f} {cum / total * 100:7.1f} "
            f"{nc / calls:8.1f}"
        )
    print(f"  top {top} by cumulative time:                            own %   cum %  calls/req")
    for key, (_cc, nc, own, cum, _callers) in sorted(rows, key=lambda r: -r[1][3])[:top]:
        print(
            f"    {short(key)[:56]:<56} {own / total * 100:5.1f} {cum / total * 100:7.1f} "
            f"{nc / calls:8.1f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=bench.DEFAULT_POSTGRES)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument(
        "--operations",
        default="questions,verify-user",
        help="questions, claims, verify-user, register, recovery-flow (calls: whole flows)",
    )
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--pyinstrument",
        action="store_true",
        help="also profile with pyinstrument (when installed)",
    )
    parser.add_argument("--save", help="write the cProfile data to FILE-<operation>.prof")
    args = parser.parse_args()

    from recovery_soap.app import create_app
    from recovery_soap.config import Settings
    from recovery_soap.core.passwords import SlowHasher

    workdir = Path(tempfile.mkdtemp(prefix="recovery-profile-"))
    database = seed.Database(args.db, workdir, args.postgres_url)
    secret = secrets.token_urlsafe(24)
    try:
        settings = Settings(
            database_url=database.url,
            captcha_verification="off",
            notification_sending="external",
            rate_limits="off",
            bootstrap_account=f"{ACCOUNT}:{secret}",
            secret_key=secrets.token_hex(32),
            log_level="WARNING",
        )
        app = create_app(settings)
        seed.seed_users(database.engine, 1, args.users + 1, SlowHasher().hash("x-password-1"))
        auth = "Basic " + base64.b64encode(f"{ACCOUNT}:{secret}".encode()).decode()
        print(
            f"{args.db}, {args.users:,} users, {args.calls:,} calls per operation; "
            f"Python {sys.version.split()[0]}"
        )
        for operation in [o.strip() for o in args.operations.split(",") if o.strip()]:
            call = Caller(app, auth, operation, args.users)
            # warm: statement caches, spyne's and lxml's lazy set-up
            for _ in range(min(300, args.calls)):
                call()
            began, cpu = time.perf_counter(), time.process_time()
            for _ in range(args.calls):
                call()
            plain = (time.perf_counter() - began) / args.calls
            cpu = (time.process_time() - cpu) / args.calls
            print(
                f"\n== {operation}: {plain * 1e6:.0f} µs per call without profiler, of which "
                f"{cpu * 1e6:.0f} µs CPU of this process ({1 / plain:.0f} calls/s on one core)"
            )
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.calls):
                call()
            profiler.disable()
            if args.save:
                profiler.dump_stats(f"{args.save}-{operation}.prof")
            report(pstats.Stats(profiler), args.calls, args.top)
            if args.pyinstrument:
                try:
                    from pyinstrument import Profiler
                except ImportError:
                    print("  (pyinstrument is not installed)")
                    continue
                sampler = Profiler(interval=0.0002)
                sampler.start()
                for _ in range(args.calls):
                    call()
                sampler.stop()
                print(sampler.output_text(unicode=True, color=False, show_all=False))
    finally:
        database.drop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
