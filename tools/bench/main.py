"""Load benchmark of the real service under gunicorn, on SQLite or PostgreSQL.

    pip install -e '.[test,serve]'           # gunicorn, psycopg; wrk and matplotlib are optional
    python scripts/bench.py --quick           # a few seconds per scenario, 1,000 users (< 3 min)
    python scripts/bench.py                   # 10,000 users, 15 s per scenario in 3 rounds
    python scripts/bench.py --db postgresql --scale-check     # + verify-user p99 at 1k vs 1M users

What it does: migrates a fresh database (a temporary SQLite file, or a schema of its own in the
PostgreSQL at --postgres-url, dropped afterwards), seeds users in bulk (SQLAlchemy Core inserts,
one precomputed argon2 hash, an e-mail claim each, confirmed and unlocked), starts
``gunicorn -c gunicorn.conf.py recovery_soap.app:application`` (the production settings; bind
and worker count overridden) on 127.0.0.1 with RECOVERY_* variables (rate limits and captcha
off, external notifications, a bootstrap service account), and drives a bounded load
(concurrency C for T seconds per scenario, split into interleaved rounds so that compared
scenarios run side by side in time) with wrk (Lua scripts in a temporary directory) or, without
wrk, a built-in multi-process generator (http.client). The e-mail recovery flow, which needs
per-flow state, always uses the built-in generator.

Scenarios: questions (getAllChallengeQuestions), claims (getUserIdentitySupportedClaims),
verify-user (verifyUser of random seeded users), recovery-flow (verifyUser ->
sendRecoveryNotification -> verifyConfirmationCode -> updatePassword; rate of whole flows),
register (registerUser with new names), ceiling (a minimal lxml WSGI handler answering the same
getAllChallengeQuestions envelope with the same bytes, under the same gunicorn settings), hash
(the machine's hashing capacity with N worker processes: SlowHasher with the default settings in
as many processes as service workers, side by side).

After the timed load, a separate pass counts the database round trips of each SOAP operation
from the driver (libpq's protocol trace on PostgreSQL, sqlite3's trace callback on SQLite): one
worker serving tools.bench.counting, a few calls each (--round-trip-calls, 0 to skip).

Every response is checked: a non-200, a SOAP fault or an error bean where success is expected is
an error. The exit status is 1 when any scenario had an error and 0 otherwise: timings are
reported (bench-results.json, bench-results.md, bench-results.png), never judged.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tools.bench.envelopes import DEFAULT_APP, DEFAULT_POSTGRES, ROOT
from tools.bench.measure import SCENARIOS


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _run_options(parser)
    _app_options(parser)
    return parser


def _run_options(parser: argparse.ArgumentParser) -> None:
    """The database, the seeded size, the load and its length."""
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("RECOVERY_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--users", type=int, help="users to seed (default 10,000; 1,000 quick)")
    parser.add_argument(
        "--concurrency",
        "-c",
        type=int,
        default=4,
        help="connections (wrk) or client processes (built-in); default 4",
    )
    parser.add_argument(
        "--duration",
        "-d",
        type=float,
        help="seconds per scenario, all rounds (default 15; 3 with --quick)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="split each scenario's time into interleaved rounds (default 3; 1 with --quick)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small seed, a few seconds per scenario (under 3 minutes)",
    )
    parser.add_argument(
        "--scale-check",
        action="store_true",
        help="also compare verify-user p99 at 1,000 users and --scale-users",
    )
    parser.add_argument("--scale-users", type=int, default=1_000_000)
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of {','.join(SCENARIOS)}",
    )
    parser.add_argument(
        "--round-trip-calls",
        type=int,
        default=3,
        help="calls per operation in the round-trip pass (default 3; 0 skips the pass)",
    )


def _app_options(parser: argparse.ArgumentParser) -> None:
    """The load generator, what is served and how, and where the results go."""
    parser.add_argument(
        "--loadgen",
        choices=("auto", "wrk", "builtin"),
        default="auto",
        help="auto: wrk when installed, else the built-in generator",
    )
    parser.add_argument(
        "--gunicorn-config",
        default=str(ROOT / "gunicorn.conf.py"),
        help="production gunicorn settings to start from (default: the project's "
        "gunicorn.conf.py; 'none': gunicorn's defaults)",
    )
    parser.add_argument(
        "--app",
        default=DEFAULT_APP,
        help="WSGI callable to serve (to try a variant; default: the service)",
    )
    parser.add_argument("--pythonpath", type=Path, help="extra import path for --app")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra environment variable for the served application",
    )
    parser.add_argument("--out-dir", default=".", help="where bench-results.* go (default .)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The options, with the defaults that depend on --quick filled in and checked."""
    cli = parser()
    args = cli.parse_args(argv)
    args.users = args.users or (1000 if args.quick else 10_000)
    args.duration = args.duration or (3.0 if args.quick else 15.0)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    try:
        args.env = dict(item.split("=", 1) for item in args.env)
    except ValueError:
        cli.error("--env takes NAME=VALUE")
    config = args.gunicorn_config
    args.gunicorn_config = (
        None if config in ("", "none") or not Path(config).is_file() else Path(config).resolve()
    )
    check(cli, args)
    return args


def check(cli: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse what cannot run, as the parser's own errors do."""
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        cli.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if min(args.users, args.workers, args.concurrency, args.rounds) < 1 or args.duration <= 0:
        cli.error("--users, --workers, --concurrency, --rounds and --duration must be positive")
    if args.round_trip_calls < 0:
        cli.error("--round-trip-calls must not be negative")


def main(argv: list[str] | None = None) -> int:
    from tools.bench.runner import Bench

    args = parse(argv)
    sys.path.insert(0, str(ROOT))
    return Bench(args).run()
