#!/usr/bin/env python3
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
(SlowHasher with the default settings, as many processes as workers).

Every response is checked: a non-200, a SOAP fault or an error bean where success is expected is
an error. The exit status is 1 when any scenario had an error and 0 otherwise: timings are
reported (bench-results.json, bench-results.md, bench-results.png), never judged.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.request
from array import array
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVICE_PATH = "/services/UserInformationRecoveryService"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "http://services.mgt.identity.carbon.wso2.org"
DTO_NS = "http://dto.mgt.identity.carbon.wso2.org/xsd"
EMAIL_CLAIM = "http://wso2.org/claims/emailaddress"
GIVEN_CLAIM = "http://wso2.org/claims/givenname"
SUPER_TENANT = "carbon.super"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ACCOUNT = "bench"
DEFAULT_APP = "recovery_soap.app:application"
USER_PASSWORD = "Bench#Passw0rd-1"
NEW_PASSWORD = "Bench#Changed-2"
SCENARIOS = ("questions", "claims", "verify-user", "recovery-flow", "register", "ceiling", "hash")
#: Scenarios answered by the real application (the others run their own processes).
#: The order scenarios run in, each round: pairs that are compared run next to each other.
ROUND_ORDER = ("questions", "ceiling", "verify-user", "claims", "recovery-flow", "register", "hash")
UNITS = {"recovery-flow": "flows/s", "hash": "hashes/s"}
TARGETS = {
    "questions/ceiling": (">=", 0.50),
    "verify-user/ceiling": (">=", 0.30),
    "register/hash": (">=", 0.85),
    "p99 verify-user 1M/1k": ("<=", 1.25),
}
RSS_TARGET_MB = 100.0


def round_seconds(total: float, rounds: int) -> int:
    """Seconds per round: whole seconds (wrk takes no fractions), at least one."""
    return max(1, round(total / rounds))


def count_label(count: int) -> str:
    for size, suffix in ((1_000_000, "M"), (1000, "k")):
        if count >= size and count % size == 0:
            return f"{count // size}{suffix}"
    return str(count)


def user_name(index: int) -> str:
    """Seeded users are u0000001 ... (the Lua scripts build the same names)."""
    return f"u{index:07d}"


# --- envelopes ---------------------------------------------------------------------------------


def envelope(operation: str, inner: str = "") -> str:
    """A SoapUI-style SOAP 1.1 envelope, as tests/support.py builds them."""
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP11_NS}" xmlns:ser="{SERVICE_NS}">'
        "<soapenv:Header/><soapenv:Body>"
        f"<ser:{operation}>{inner}</ser:{operation}>"
        "</soapenv:Body></soapenv:Envelope>"
    )


def el(name: str, value: str) -> str:
    return f"<ser:{name}>{value}</ser:{name}>"


QUESTIONS_BODY = envelope("getAllChallengeQuestions")
CLAIMS_BODY = envelope("getUserIdentitySupportedClaims", el("dialect", "http://wso2.org/claims"))


def verify_user_body(name: str) -> str:
    return envelope("verifyUser", el("username", name))


def register_body(name: str) -> str:
    claims = "".join(
        f'<ser:claims><dto:claimUri xmlns:dto="{DTO_NS}">{uri}</dto:claimUri>'
        f'<dto:claimValue xmlns:dto="{DTO_NS}">{value}</dto:claimValue></ser:claims>'
        for uri, value in ((EMAIL_CLAIM, f"{name}@bench.test"), (GIVEN_CLAIM, "Bench"))
    )
    return envelope(
        "registerUser",
        el("userName", name)
        + el("password", USER_PASSWORD)
        + claims
        + el("profileName", "default")
        + el("tenantDomain", SUPER_TENANT),
    )


#: What a successful answer of each scenario contains, and what it must not contain.
MUST = {
    "questions": ["getAllChallengeQuestionsResponse", "questionSetId>"],
    "ceiling": ["getAllChallengeQuestionsResponse", "questionSetId>"],
    "claims": ["getUserIdentitySupportedClaimsResponse", "claimUri>"],
    "verify-user": ["verifyUserResponse", "verified>true<", "key>"],
    "register": ["registerUserResponse", "notificationCode>"],
}
MUST_NOT = ["Fault>", "error>"]


def response_ok(scenario: str, status: int, body: bytes) -> bool:
    if status != 200:
        return False
    text = body.decode("utf-8", "replace")
    return all(s in text for s in MUST[scenario]) and not any(s in text for s in MUST_NOT)


# --- processes and memory ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may contain spaces, so split after the last ')'
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def pss_mb(pid: int) -> float | None:
    """Proportional set size now (pages shared with the master or other workers split), MB."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def vm_hwm_mb(pid: int | str = "self") -> float | None:
    """Peak resident set size (VmHWM) of a process, MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Gunicorn:
    """``gunicorn APP`` on 127.0.0.1 with N workers, with the project's production settings
    (``gunicorn.conf.py``: sync workers, preload, gc.freeze() after start, max_requests...)
    unless --gunicorn-config none; only bind, workers and logging are overridden.

    A post_worker_init hook first sends each worker one /healthz through its WSGI callable, so
    the lazily built application exists before the worker accepts load (then the production
    hook runs: gc.collect(); gc.freeze())."""

    def __init__(
        self,
        app: str,
        env: dict[str, str],
        workers: int,
        workdir: Path,
        name: str,
        base_config: Path | None,
        pythonpath: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.log = workdir / f"{name}-gunicorn.log"
        config = workdir / f"{name}-gunicorn.conf.py"
        config.write_text(
            textwrap.dedent(f"""\
            # generated by scripts/bench.py: the production settings, then the bench's
            BASE = {str(base_config) if base_config else None!r}
            if BASE:
                _settings = {{"__file__": BASE, "__name__": "gunicorn_base_config"}}
                with open(BASE) as _file:
                    exec(compile(_file.read(), BASE, "exec"), _settings)
                globals().update({{k: v for k, v in _settings.items() if not k.startswith("__")}})
            _production_post_worker_init = globals().get("post_worker_init")

            bind = "127.0.0.1:{self.port}"
            workers = {workers}
            worker_class = globals().get("worker_class", "sync")
            errorlog = {str(self.log)!r}
            loglevel = "warning"
            logconfig_dict = {{}}  # gunicorn's own handlers, writing to errorlog
            daemon = False
            pidfile = None


            def post_worker_init(worker):
                def start_response(status, headers, exc_info=None):
                    return lambda data: None

                environ = {{"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz", "QUERY_STRING": "",
                           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "0",
                           "wsgi.url_scheme": "http"}}
                worker.wsgi(environ, start_response)
                if _production_post_worker_init is not None:
                    _production_post_worker_init(worker)
            """)
        )
        env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(workdir / f"{name}-metrics")}
        (workdir / f"{name}-metrics").mkdir(exist_ok=True)
        command = [sys.executable, "-m", "gunicorn", "--config", str(config)]
        if pythonpath is not None:
            command += ["--pythonpath", str(pythonpath)]
        command.append(app)
        self.process = subprocess.Popen(
            command, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.workers = workers
        # Peak RSS of every worker ever seen (max_requests recycles workers): polled.
        self.seen: dict[int, float] = {}
        self._stop_polling = threading.Event()
        self._poller = threading.Thread(target=self._poll, daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._stop_polling.wait(0.5):
            self.sample_rss()

    def sample_rss(self) -> None:
        for pid in self.worker_pids():
            peak = vm_hwm_mb(pid)
            if peak is not None:
                self.seen[pid] = max(peak, self.seen.get(pid, 0.0))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.tail()}")
            if len(self.worker_pids()) >= self.workers:
                try:
                    with urllib.request.urlopen(self.url + path, timeout=5) as answer:
                        if answer.status == 200:
                            return
                except OSError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not come up in {timeout:.0f} s:\n{self.tail()}")

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid)

    def peak_rss_mb(self) -> list[float]:
        """Peak RSS of each worker seen so far (including workers recycled meanwhile), MB."""
        self.sample_rss()
        return [self.seen[pid] for pid in sorted(self.seen)]

    def pss_mb(self) -> list[float]:
        return [m for m in (pss_mb(pid) for pid in self.worker_pids()) if m is not None]

    @property
    def restarts(self) -> int:
        return max(0, len(self.seen) - self.workers)

    def tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        self._stop_polling.set()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- database ----------------------------------------------------------------------------------


class Database:
    """A fresh migrated database: a temporary SQLite file or a PostgreSQL schema of its own."""

    def __init__(self, kind: str, workdir: Path, postgres_url: str) -> None:
        from sqlalchemy import create_engine, text

        self.kind = kind
        self.schema: str | None = None
        self._admin = None
        if kind == "sqlite":
            self.url = f"sqlite:///{workdir / 'bench.db'}"
        else:
            self.schema = f"bench_{secrets.token_hex(5)}"
            self._admin = create_engine(postgres_url, connect_args={"connect_timeout": 5})
            with self._admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            separator = "&" if "?" in postgres_url else "?"
            self.url = f"{postgres_url}{separator}options=-csearch_path%3D{self.schema}"
        # `recovery-soap db upgrade`, as an operator would run it (PostgreSQL needs it; SQLite
        # would migrate itself on start, but not with two workers racing to do it).
        try:
            subprocess.run(
                [sys.executable, "-m", "recovery_soap.cli", "db", "upgrade"],
                env={**os.environ, "RECOVERY_DATABASE_URL": self.url},
                check=True,
                stdout=subprocess.DEVNULL,
            )
        except BaseException:
            self._drop_schema()
            raise
        from recovery_soap.store.db import make_engine

        self.engine = make_engine(self.url)

    def drop(self) -> None:
        self.engine.dispose()
        self._drop_schema()

    def _drop_schema(self) -> None:
        from sqlalchemy import text

        if self._admin is not None and self.schema:
            with self._admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            self._admin.dispose()


def seed_users(
    engine: Any,
    start: int,
    stop: int,
    password_hash: str,
    batch: int = 20_000,
    progress: bool = False,
) -> float:
    """Users start..stop-1 (names u0000001...), confirmed and unlocked, each with an e-mail and a
    given-name claim, by Core inserts straight into the tables. Returns the seconds it took."""
    from sqlalchemy import and_, insert, literal, select

    from recovery_soap.store.models import ClaimRow, TenantRow, UserRow

    users, claims, tenants = UserRow.__table__, ClaimRow.__table__, TenantRow.__table__
    began = time.perf_counter()
    with engine.begin() as connection:
        tenant_id = connection.execute(
            select(tenants.c.id).where(tenants.c.domain == SUPER_TENANT)
        ).scalar_one()
    now = datetime.now(UTC).replace(tzinfo=None)
    for first in range(start, stop, batch):
        last = min(first + batch, stop)
        with engine.begin() as connection:
            connection.execute(
                insert(users),
                [
                    {
                        "tenant_id": tenant_id,
                        "username": user_name(i),
                        "password_hash": password_hash,
                        "locked": False,
                        "pending_confirmation": False,
                        "created_at": now,
                    }
                    for i in range(first, last)
                ],
            )
            # The claims of the batch straight from the rows just written (ids assigned there).
            batch_users = and_(
                users.c.tenant_id == tenant_id,
                users.c.username.between(user_name(first), user_name(last - 1)),
            )
            for uri, value in (
                (EMAIL_CLAIM, users.c.username + literal("@bench.test")),
                (GIVEN_CLAIM, literal("Bench")),
            ):
                connection.execute(
                    insert(claims).from_select(
                        ["user_id", "tenant_id", "claim_uri", "value"],
                        select(users.c.id, users.c.tenant_id, literal(uri), value).where(
                            batch_users
                        ),
                    )
                )
        if progress and (last - start) // 200_000 > (first - start) // 200_000:
            print(f"  seeded {last - 1:,} users ({time.perf_counter() - began:.0f} s)", flush=True)
    settle(engine)
    return time.perf_counter() - began


def settle(engine: Any) -> None:
    """Let the database finish what a bulk load leaves behind before anything is measured: the
    planner's statistics, and on PostgreSQL the vacuum the inserts trigger and the checkpoint
    their WAL forces (either would otherwise run during the measurement and show up as the
    large database's latency). SQLite: statistics and a WAL checkpoint."""
    from sqlalchemy import text

    if engine.dialect.name != "postgresql":
        raw = engine.raw_connection()  # outside any transaction (the engine's own BEGIN hook)
        try:
            raw.driver_connection.execute("ANALYZE")
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE) users, user_claims"))
        try:
            connection.execute(text("CHECKPOINT"))
        except Exception as exc:  # noqa: BLE001 - needs superuser or pg_checkpoint
            print(f"  (no CHECKPOINT after seeding: {type(exc).__name__})", flush=True)


def explain_lookups(engine: Any) -> list[dict[str, Any]]:
    """The query plans of the statements verifyUser runs (the repositories' own statement
    objects, with the bench's values), each with whether it uses an index."""
    from datetime import datetime as _datetime

    from sqlalchemy import select

    from recovery_soap.store import repositories as repos
    from recovery_soap.store.models import CodeRow, ServiceAccountRow, TenantRow

    codes, accounts, tenants = CodeRow.__table__, ServiceAccountRow.__table__, TenantRow.__table__
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        tenant_id = connection.execute(
            select(tenants.c.id).where(tenants.c.domain == SUPER_TENANT)
        ).scalar_one()
        code_hash = connection.execute(select(codes.c.code_hash).limit(1)).scalar() or "0" * 64
    now = _datetime(2026, 1, 1)
    spend = {"spend_user": 1, "spend_purpose": "recovery", "spend_at": now}
    new_code = {f"new_{name}": None for name in repos._CODE_VALUES} | {
        "new_tenant_id": tenant_id,
        "new_user_id": 1,
        "new_purpose": "recovery",
        "new_step": "user_verified",
        "new_code_hash": "f" * 64,
        "new_proof": "",
        "new_created_at": now,
        "new_expires_at": now,
    }
    statements = {
        "user and guard state by tenant+username (UserRepository.get)": (
            repos._USER_BY_NAME,
            {"tenant_id": tenant_id, "name": user_name(1)},
        ),
        "code by hash (CodeRepository.find)": (repos._CODE_BY_HASH, {"code_hash": code_hash}),
        "spend the user's live codes, store the new one (CodeRepository.replace)": (
            (repos._REPLACE_CODE, {**new_code, **spend}) if postgres else (repos._SPEND_LIVE, spend)
        ),
        "questions of a tenant (getAllChallengeQuestions)": (
            repos._QUESTIONS_OF_TENANT,
            {"tenant_id": tenant_id},
        ),
        "service account by name (a login, cached for a few seconds)": (
            select(accounts, tenants.c.domain)
            .join(tenants, tenants.c.id == accounts.c.tenant_id)
            .where(accounts.c.name == ACCOUNT),
            {},
        ),
    }
    plans = []
    with engine.connect() as connection:
        for name, (statement, values) in statements.items():
            compiled = statement.compile(dialect=engine.dialect)
            params = compiled.construct_params(values)
            bound: Any = (
                tuple(params[key] for key in compiled.positiontup or ())
                if compiled.positional
                else params
            )
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            rows = connection.exec_driver_sql(prefix + compiled.string, bound).all()
            lines = [row[0] for row in rows] if postgres else [str(row[-1]) for row in rows]
            plan = "\n".join(lines)
            if postgres:
                indexed = (
                    "Index" in plan
                    and "Seq Scan on users" not in plan
                    and "Seq Scan on codes" not in plan
                )
            else:
                indexed = all(("USING" in line or "SCAN" not in line) for line in lines) and any(
                    "USING" in line for line in lines
                )
            plans.append(
                {
                    "lookup": name,
                    "sql": " ".join(compiled.string.split()),
                    "plan": plan,
                    "uses_index": indexed,
                }
            )
            connection.rollback()  # the writes are only explained, never run
    return plans


# --- load generation: wrk ----------------------------------------------------------------------

LUA_COMMON = r"""
-- generated by scripts/bench.py
local MUST = {%(must)s}
local MUST_NOT = {%(must_not)s}
errors = 0
bad = ""
counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(%(seed)d + tid * 7919)
  wrk.method = "POST"
  wrk.path = "%(path)s"
  wrk.headers["Content-Type"] = "text/xml; charset=UTF-8"
  wrk.headers["SOAPAction"] = '""'
  wrk.headers["Authorization"] = "%(auth)s"
  wrk.body = [==[%(static)s]==]
end

function response(status, headers, body)
  local ok = status == 200
  if ok then
    for _, s in ipairs(MUST) do
      if not string.find(body, s, 1, true) then ok = false break end
    end
  end
  if ok then
    for _, s in ipairs(MUST_NOT) do
      if string.find(body, s, 1, true) then ok = false break end
    end
  end
  if not ok then
    errors = errors + 1
    if string.len(bad) < 900 then
      local text = body or ""
      local from = string.find(text, "Body>", 1, true) or 1
      local sample = string.gsub(string.sub(text, from, from + 280), "\n", " ")
      bad = bad .. status .. ": " .. sample .. "\n"
    end
  end
end

function done(summary, latency, requests)
  local e, b = 0, ""
  for _, t in ipairs(threads) do
    e = e + (t:get("errors") or 0)
    b = b .. (t:get("bad") or "")
  end
  local s = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%%.0f,"duration_us":%%.0f,"bad_responses":%%.0f,"connect":%%.0f,' ..
    '"read":%%.0f,"write":%%.0f,"status":%%.0f,"timeout":%%.0f,"p50_us":%%.0f,"p95_us":%%.0f,' ..
    '"p99_us":%%.0f,"max_us":%%.0f}\n',
    summary.requests, summary.duration, e, s.connect, s.read, s.write, s.status, s.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
  for line in string.gmatch(b, "[^\n]+") do io.write("BENCHBAD ", line, "\n") end
end
"""

LUA_VERIFY_USER = r"""
local TEMPLATE = [==[%(template)s]==]
function request()
  local name = string.format("u%%07d", math.random(1, %(users)d))
  return wrk.format(nil, nil, nil, string.format(TEMPLATE, name))
end
"""

LUA_REGISTER = r"""
local TEMPLATE = [==[%(template)s]==]
function request()
  counter = counter + 1
  local name = string.format("r%(run)s-%%d-%%d", tid, counter)
  return wrk.format(nil, nil, nil, string.format(TEMPLATE, name, name))
end
"""


def lua_quote(strings: list[str]) -> str:
    return ", ".join(f"[==[{s}]==]" for s in strings)


def wrk_script(scenario: str, auth: str, users: int, run_id: str) -> str:
    static = CLAIMS_BODY if scenario == "claims" else QUESTIONS_BODY
    script = LUA_COMMON % {
        "must": lua_quote(MUST[scenario]),
        "must_not": lua_quote(MUST_NOT),
        "seed": random.randrange(1, 1 << 30),
        "path": SERVICE_PATH,
        "auth": auth,
        "static": static,
    }
    if scenario == "verify-user":
        script += LUA_VERIFY_USER % {
            "template": verify_user_body("%s").replace("%", "%%").replace("%%s", "%s"),
            "users": users,
        }
    elif scenario == "register":
        script += LUA_REGISTER % {
            "template": register_body("%s").replace("%", "%%").replace("%%s", "%s"),
            "run": run_id,
        }
    return script


def run_wrk(
    scenario: str,
    url: str,
    auth: str,
    users: int,
    concurrency: int,
    duration: float,
    workdir: Path,
    run_id: str,
) -> dict[str, Any]:
    script = workdir / f"{scenario}.lua"
    script.write_text(wrk_script(scenario, auth, users, run_id))
    threads = max(1, min(2, concurrency))
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(concurrency),
        "-d",
        f"{duration:g}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        url + SERVICE_PATH,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    data = None
    bad = []
    for line in done.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            data = json.loads(line[len("BENCHJSON ") :])
        elif line.startswith("BENCHBAD "):
            bad.append(line[len("BENCHBAD ") :])
    if data is None:
        raise RuntimeError(
            f"wrk gave no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    if socket_errors:
        bad.append(
            f"socket errors: connect {data['connect']}, read {data['read']}, "
            f"write {data['write']}, timeout {data['timeout']}"
        )
    seconds = data["duration_us"] / 1e6
    return {
        "requests": int(data["requests"]),
        "seconds": seconds,
        "rate": data["requests"] / seconds if seconds else 0.0,
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "max_ms": data["max_us"] / 1000,
        "errors": int(data["bad_responses"] + socket_errors),
        "error_samples": bad[:5],
        "loadgen": "wrk",
    }


# --- load generation: built-in (multi-process http.client) -------------------------------------

VALUE = re.compile(rb"<(?:[\w.-]+:)?(key|notificationCode)>([^<]+)</")


def excerpt(body: bytes) -> str:
    """The interesting part of an answer: from the SOAP Body on."""
    start = max(0, body.find(b"Body>"))
    return body[start : start + 280].decode("utf-8", "replace")


class Client:
    """One keep-alive connection (reopened whenever the server closes it, as sync workers do)."""

    def __init__(self, port: int, auth: str) -> None:
        self.port = port
        self.headers = {
            "Content-Type": "text/xml; charset=UTF-8",
            "SOAPAction": '""',
            "Authorization": auth,
        }
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, body: str) -> tuple[int, bytes]:
        try:
            self.connection.request("POST", SERVICE_PATH, body=body.encode(), headers=self.headers)
            answer = self.connection.getresponse()
            return answer.status, answer.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            return 0, f"{type(error).__name__}: {error}".encode()


def recovery_flow(client: Client, name: str) -> tuple[bool, str]:
    """The four calls of the e-mail recovery flow with external notifications."""
    steps = (
        ("verifyUser", lambda v: el("username", name), b"key"),
        (
            "sendRecoveryNotification",
            lambda v: el("username", name) + el("key", v) + el("notificationType", "EMAIL"),
            b"notificationCode",
        ),
        ("verifyConfirmationCode", lambda v: el("username", name) + el("code", v), b"key"),
        (
            "updatePassword",
            lambda v: (
                el("username", name) + el("confirmationCode", v) + el("newPassword", NEW_PASSWORD)
            ),
            None,
        ),
    )
    value = ""
    for operation, inner, wanted in steps:
        status, body = client.post(envelope(operation, inner(value)))
        if status != 200 or b"verified>true<" not in body or b"Fault>" in body or b"error>" in body:
            return False, f"{operation} {status}: {excerpt(body)}"
        if wanted is not None:
            found = {k: v for k, v in VALUE.findall(body)}
            if wanted not in found:
                return False, f"{operation}: no {wanted.decode()} in the answer"
            value = found[wanted].decode()
    return True, ""


_BARRIER: Any = None
_HASHER: Any = None


def _pool_init(barrier: Any) -> None:
    """Every pool process takes exactly one job per run: each waits for all the others."""
    global _BARRIER
    _BARRIER = barrier


def _builtin_worker(job: dict[str, Any]) -> dict[str, Any]:
    scenario, index, slots = job["scenario"], job["index"], job["slots"]
    _BARRIER.wait(timeout=60)
    rng = random.Random(job["seed"] + index)
    client = Client(job["port"], job["auth"])
    latencies = array("d")
    errors, samples, count = 0, [], 0
    flow_user = index + 1  # this process's users for flows: index+1, index+1+slots, ...
    while time.monotonic() < job["start_at"]:
        time.sleep(0.001)
    deadline = job["start_at"] + job["duration"]
    last = job["start_at"]
    while True:
        began = time.monotonic()
        if began >= deadline:
            break
        if scenario == "recovery-flow":
            ok, why = recovery_flow(client, user_name(flow_user))
            flow_user += slots
            if flow_user > job["users"]:
                flow_user = index + 1
        else:
            if scenario == "verify-user":
                body = verify_user_body(user_name(rng.randint(1, job["users"])))
            elif scenario == "register":
                count_name = f"r{job['run_id']}-b{index}-{count}"
                body = register_body(count_name)
            elif scenario == "claims":
                body = CLAIMS_BODY
            else:
                body = QUESTIONS_BODY
            status, answer = client.post(body)
            ok = response_ok(scenario, status, answer)
            why = f"{status}: {excerpt(answer)}"
        last = time.monotonic()
        latencies.append(last - began)
        count += 1
        if not ok:
            errors += 1
            if len(samples) < 3:
                samples.append(why)
    return {
        "count": count,
        "errors": errors,
        "samples": samples,
        "latencies": latencies.tobytes(),
        "last": last,
        "start": job["start_at"],
    }


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    position = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[position]


def summarise(parts: list[dict[str, Any]], loadgen: str) -> dict[str, Any]:
    latencies: list[float] = []
    for part in parts:
        values = array("d")
        values.frombytes(part["latencies"])
        latencies.extend(values)
    latencies.sort()
    count = sum(p["count"] for p in parts)
    seconds = max(p["last"] for p in parts) - min(p["start"] for p in parts)
    return {
        "requests": count,
        "seconds": seconds,
        "rate": count / seconds if seconds > 0 else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] * 1000) if latencies else 0.0,
        "errors": sum(p["errors"] for p in parts),
        "error_samples": [s for p in parts for s in p["samples"]][:5],
        "loadgen": loadgen,
        "latencies": latencies,
    }


def run_builtin(
    scenario: str, port: int, auth: str, users: int, concurrency: int, duration: float, run_id: str
) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    start_at = time.monotonic() + 0.5
    seed = random.randrange(1 << 30)
    jobs = [
        {
            "scenario": scenario,
            "index": i,
            "slots": concurrency,
            "port": port,
            "auth": auth,
            "users": users,
            "duration": duration,
            "start_at": start_at,
            "seed": seed,
            "run_id": run_id,
        }
        for i in range(concurrency)
    ]
    with context.Pool(concurrency, _pool_init, (context.Barrier(concurrency),)) as pool:
        parts = pool.map(_builtin_worker, jobs, chunksize=1)
    return summarise(parts, "built-in")


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

    def close(self) -> None:
        self.pool.close()
        self.pool.join()


# --- the ceiling: a minimal lxml handler -------------------------------------------------------

CEILING_MODULE = '''\
"""The ceiling: parse the getAllChallengeQuestions envelope and serialise the same response with
plain lxml, no framework, no database (generated by scripts/bench.py)."""

import json
import os

from lxml import etree

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
OPERATION = "{http://services.mgt.identity.carbon.wso2.org}getAllChallengeQuestions"
SPEC = json.loads(os.environ["BENCH_CEILING_RESPONSE"])
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
HEADERS = [("Content-Type", "text/xml; charset=utf-8")]


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok\\n"]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    root = etree.fromstring(body, PARSER)
    operation = root.find("{%s}Body" % SOAP)[0]
    if operation.tag != OPERATION:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"unexpected operation\\n"]
    envelope = etree.Element(SPEC["root"], nsmap=SPEC["nsmap"])
    answer = etree.SubElement(etree.SubElement(envelope, SPEC["body"]), SPEC["response"])
    for item in SPEC["items"]:
        element = etree.SubElement(answer, SPEC["item"])
        for tag, text in item:
            etree.SubElement(element, tag).text = text
    out = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
    start_response("200 OK", HEADERS + [("Content-Length", str(len(out)))])
    return [out]
'''


def ceiling_spec(response: bytes) -> dict[str, Any]:
    """The shape of the real getAllChallengeQuestions answer, for the ceiling to rebuild."""
    from lxml import etree

    root = etree.fromstring(response)
    body = root[0]
    answer = body[0]
    return {
        "root": root.tag,
        "nsmap": dict(root.nsmap),
        "body": body.tag,
        "response": answer.tag,
        "item": answer[0].tag if len(answer) else f"{{{SERVICE_NS}}}return",
        "items": [[(child.tag, child.text) for child in item] for item in answer],
    }


# --- running scenarios -------------------------------------------------------------------------


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
        self.use_wrk = args.loadgen == "wrk" or (args.loadgen == "auto" and shutil.which("wrk"))
        if args.loadgen == "wrk" and not shutil.which("wrk"):
            raise SystemExit("--loadgen wrk: wrk is not installed (apt-get install -y wrk)")
        self.run_id = secrets.token_hex(3)
        self.secret = secrets.token_urlsafe(24)
        self.secret_key = secrets.token_hex(32)
        self.auth = "Basic " + base64.b64encode(f"{ACCOUNT}:{self.secret}".encode()).decode()
        self.results: list[Result] = []
        self.notes: list[str] = []

    def measure(
        self, scenario: str, server: Gunicorn | None, users: int, duration: float, round_no: int = 0
    ) -> dict[str, Any]:
        """One bounded run of a scenario; the raw numbers (see aggregate())."""
        args = self.args
        run_id = f"{self.run_id}{round_no}"
        if scenario == "hash":
            assert self.hash_pool is not None
            data = self.hash_pool.run(duration)
        elif scenario == "recovery-flow" or not self.use_wrk:
            assert server is not None
            data = run_builtin(
                scenario, server.port, self.auth, users, args.concurrency, duration, run_id
            )
        else:
            assert server is not None
            data = run_wrk(
                scenario,
                server.url,
                self.auth,
                users,
                args.concurrency,
                duration,
                self.workdir,
                run_id,
            )
        if server is not None:
            data["rss_mb"] = server.peak_rss_mb()
            data["pss_mb"] = server.pss_mb()
        data["load1"] = os.getloadavg()[0]
        data["users"] = users
        return data

    def aggregate(self, scenario: str, parts: list[dict[str, Any]]) -> Result:
        """Rounds of one scenario as one result: rate = all requests / all time; percentiles
        exact over every sample (built-in generator, hash) or, for wrk, the request-weighted
        mean of each round's percentile."""
        requests = sum(p["requests"] for p in parts)
        seconds = sum(p["seconds"] for p in parts)
        if all("latencies" in p for p in parts):
            merged = sorted(x for p in parts for x in p["latencies"])
            p50, p95, p99 = (percentile(merged, f) * 1000 for f in (0.50, 0.95, 0.99))
        else:

            def weighted(key: str) -> float:
                return sum(p[key] * p["requests"] for p in parts) / max(1, requests)

            p50, p95, p99 = weighted("p50_ms"), weighted("p95_ms"), weighted("p99_ms")
        rss = parts[-1].get("rss_mb") or []
        pss = parts[-1].get("pss_mb") or []
        result = Result(
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
            users=parts[0]["users"] if scenario != "hash" and scenario != "ceiling" else 0,
            error_samples=[e for p in parts for e in p["error_samples"]][:5],
            load1=round(max(p["load1"] for p in parts), 2),
            rounds=[round(p["rate"], 1) for p in parts],
            pss_mb=[round(x, 1) for x in pss],
        )
        return result

    def load(
        self,
        scenario: str,
        server: Gunicorn | None,
        users: int,
        rounds: int = 1,
        label: str | None = None,
    ) -> Result:
        """A scenario on its own (no interleaving), for the scale check."""
        duration = round_seconds(self.args.duration, rounds)
        parts = []
        for round_no in range(rounds):
            print(f"- {label or scenario}: {self.describe(scenario, duration)}", flush=True)
            parts.append(self.measure(scenario, server, users, duration, round_no))
        result = self.aggregate(scenario, parts)
        result.scenario = label or scenario
        self.report_line(result)
        return result

    def describe(self, scenario: str, duration: float) -> str:
        if scenario == "hash":
            return f"{self.args.workers} processes, {duration:g} s"
        gen = "built-in generator" if scenario == "recovery-flow" or not self.use_wrk else "wrk"
        return f"{self.args.concurrency} connections, {duration:g} s ({gen})"

    @staticmethod
    def report_line(r: Result) -> None:
        rss = f"{r.peak_rss_mb:.0f} MB" if r.peak_rss_mb is not None else "-"
        print(
            f"  {r.rate:9.1f} {r.unit:<9} p50 {r.p50_ms:7.2f} ms  p95 {r.p95_ms:7.2f} ms  "
            f"p99 {r.p99_ms:7.2f} ms  errors {r.errors}  peak RSS/worker {rss}",
            flush=True,
        )
        for sample in r.error_samples:
            print(f"    error: {sample}", flush=True)

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

    def create_account(self, database_url: str) -> None:
        """The bootstrap account, made once before the workers start (each worker then resets
        it to the same secret, as RECOVERY_BOOTSTRAP_ACCOUNT asks, without racing to insert it)."""
        from recovery_soap.app import apply_bootstrap_account, build_env
        from recovery_soap.config import load_settings

        settings = load_settings(self.app_env(database_url))
        engine = self.database.engine
        apply_bootstrap_account(build_env(settings, engine), settings.bootstrap_account)

    def warm_up(self, server: Gunicorn, users: int) -> None:
        """A second of mixed load, so every worker has compiled its statements and caches."""
        for scenario in ("questions", "verify-user"):
            run_builtin(
                scenario, server.port, self.auth, users, max(2, server.workers), 0.5, self.run_id
            )

    def run(self) -> int:
        args = self.args
        self.workdir = Path(tempfile.mkdtemp(prefix="recovery-bench-"))
        self.hash_pool: HashPool | None = None
        self.scale: dict[str, Any] = {}
        servers: list[Gunicorn] = []
        database: Database | None = None
        started = time.time()
        load_before = os.getloadavg()
        try:
            print(
                f"Database: {args.db}; workers {args.workers}; users {args.users:,}; "
                f"concurrency {args.concurrency}; {args.duration:g} s per scenario in "
                f"{args.rounds} round(s); load generator {'wrk' if self.use_wrk else 'built-in'}",
                flush=True,
            )
            database = Database(args.db, self.workdir, args.postgres_url)
            self.database = database
            from recovery_soap.config import Settings
            from recovery_soap.core.passwords import SlowHasher

            defaults = Settings()
            password_hash = SlowHasher(defaults.argon2_memory_kib, defaults.argon2_time_cost).hash(
                USER_PASSWORD
            )
            wanted = [s for s in SCENARIOS if s in args.scenarios]
            first = min(1000, args.users) if args.scale_check else args.users
            took = seed_users(
                database.engine, 1, first + 1, password_hash, progress=first > 100_000
            )
            seeded = first
            print(f"Seeded {seeded:,} users in {took:.1f} s", flush=True)

            self.create_account(database.url)
            app = Gunicorn(
                args.app,
                self.app_env(database.url),
                args.workers,
                self.workdir,
                "app",
                args.gunicorn_config,
                pythonpath=args.pythonpath,
            )
            servers.append(app)
            app.wait_ready("/readyz")
            status, questions = post_once(app.url, self.auth, QUESTIONS_BODY)
            if not response_ok("questions", status, questions):
                raise RuntimeError(f"getAllChallengeQuestions failed: {status} {questions[:500]!r}")
            self.warm_up(app, seeded)

            if args.scale_check and (args.users > seeded or "verify-user" not in wanted):
                print(f"Scale check: verify-user at {seeded:,} users", flush=True)
                self.results.append(
                    self.load(
                        "verify-user",
                        app,
                        seeded,
                        args.rounds,
                        label=f"verify-user@{count_label(seeded)}",
                    )
                )
            if args.users > seeded:
                took = seed_users(
                    database.engine,
                    seeded + 1,
                    args.users + 1,
                    password_hash,
                    progress=args.users > 100_000,
                )
                print(f"Seeded up to {args.users:,} users in {took:.1f} s", flush=True)
                seeded = args.users
                self.warm_up(app, seeded)

            ceiling = None
            if "ceiling" in wanted:
                ceiling = self.start_ceiling(questions, servers)
            if "hash" in wanted:
                self.hash_pool = HashPool(args.workers)
            # Interleaved rounds: the scenarios compared with each other run side by side in
            # time, so that load from other processes hits both alike.
            order = [s for s in ROUND_ORDER if s in wanted]
            parts: dict[str, list[dict[str, Any]]] = {s: [] for s in order}
            duration = round_seconds(args.duration, args.rounds)
            for round_no in range(args.rounds):
                for scenario in order:
                    server = (
                        ceiling if scenario == "ceiling" else (None if scenario == "hash" else app)
                    )
                    tag = f" (round {round_no + 1}/{args.rounds})" if args.rounds > 1 else ""
                    print(f"- {scenario}{tag}: {self.describe(scenario, duration)}", flush=True)
                    part = self.measure(scenario, server, seeded, duration, round_no)
                    parts[scenario].append(part)
                    self.report_line(self.aggregate(scenario, [part]))
            if args.rounds > 1:
                print("All rounds:", flush=True)
            for scenario in wanted:
                result = self.aggregate(scenario, parts[scenario])
                self.results.append(result)
                if args.rounds > 1:
                    print(f"- {scenario}", flush=True)
                    self.report_line(result)

            if args.scale_check:
                if seeded < args.scale_users:
                    print(
                        f"Seeding up to {args.scale_users:,} users for the scale check", flush=True
                    )
                    took = seed_users(
                        database.engine,
                        seeded + 1,
                        args.scale_users + 1,
                        password_hash,
                        progress=True,
                    )
                    print(f"Seeded up to {args.scale_users:,} users in {took:.1f} s", flush=True)
                    seeded = args.scale_users
                    self.warm_up(app, seeded)
                    large = self.load(
                        "verify-user",
                        app,
                        seeded,
                        args.rounds,
                        label=f"verify-user@{count_label(seeded)}",
                    )
                    self.results.append(large)
                else:
                    large = next(r for r in self.results if r.scenario == "verify-user")
                small = next(
                    r
                    for r in self.results
                    if r.scenario.startswith("verify-user") and r.users == first
                )
                self.scale = {
                    "small_users": small.users,
                    "large_users": large.users,
                    "p99_small_ms": small.p99_ms,
                    "p99_large_ms": large.p99_ms,
                }
            for server, what in ((app, "service"), (ceiling, "ceiling")):
                if server is not None and server.restarts:
                    self.notes.append(
                        f"{server.restarts} {what} worker(s) were recycled during "
                        "the run (max_requests of the gunicorn settings)"
                    )
            self.plans = explain_lookups(database.engine)
            self.users_total = seeded
        finally:
            for server in servers:
                server.stop()
            if self.hash_pool is not None:
                self.hash_pool.close()
            if database is not None:
                database.drop()
            if not args.keep:
                shutil.rmtree(self.workdir, ignore_errors=True)
        self.meta = {
            "started": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
            "wall_seconds": round(time.time() - started, 1),
            "db": args.db,
            "workers": args.workers,
            "users": self.users_total,
            "concurrency": args.concurrency,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "loadgen": "wrk" if self.use_wrk else "built-in",
            "gunicorn_config": str(args.gunicorn_config) if args.gunicorn_config else None,
            "quick": args.quick,
            "cpus": os.cpu_count(),
            "app": args.app,
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "machine": platform.machine(),
            "versions": versions(),
        }
        return self.report()

    def start_ceiling(self, questions: bytes, servers: list[Gunicorn]) -> Gunicorn:
        """The minimal lxml handler under the same gunicorn settings, checked to answer the same
        bytes as the service."""
        args = self.args
        (self.workdir / "bench_ceiling.py").write_text(CEILING_MODULE)
        env = {**os.environ, "BENCH_CEILING_RESPONSE": json.dumps(ceiling_spec(questions))}
        server = Gunicorn(
            "bench_ceiling:application",
            env,
            args.workers,
            self.workdir,
            "ceiling",
            args.gunicorn_config,
            pythonpath=self.workdir,
        )
        servers.append(server)
        server.wait_ready("/healthz")
        status, body = post_once(server.url, self.auth, QUESTIONS_BODY)
        same = status == 200 and body == questions
        self.notes.append(
            "the ceiling's answer is byte-identical to the service's"
            if same
            else "the ceiling's answer differs from the service's (check the harness)"
        )
        print(f"Ceiling answer byte-identical to the service's: {same}", flush=True)
        return server

    # --- reporting -----------------------------------------------------------------------------

    def result(self, scenario: str) -> Result | None:
        return next((r for r in self.results if r.scenario == scenario), None)

    PAIRS = (
        ("questions/ceiling", "questions", "ceiling"),
        ("verify-user/ceiling", "verify-user", "ceiling"),
        ("register/hash", "register", "hash"),
    )

    def ratios(self) -> dict[str, float | None]:
        """Throughput ratios over all rounds (and the p99 ratio of the scale check)."""
        out: dict[str, float | None] = {}
        for name, top, bottom in self.PAIRS:
            a, b = self.result(top), self.result(bottom)
            out[name] = a.rate / b.rate if a and b and b.rate else None
        if self.scale:
            small, large = self.scale["p99_small_ms"], self.scale["p99_large_ms"]
            out["p99 verify-user 1M/1k"] = large / small if small else None
        return out

    def round_ratios(self) -> dict[str, list[float]]:
        """The same ratios per round (rounds run the paired scenarios next to each other)."""
        out = {}
        for name, top, bottom in self.PAIRS:
            a, b = self.result(top), self.result(bottom)
            if a and b and len(a.rounds) > 1 and len(a.rounds) == len(b.rounds):
                out[name] = [x / y if y else 0.0 for x, y in zip(a.rounds, b.rounds, strict=True)]
        return out

    def table(self) -> list[str]:
        rows = [
            "| scenario | users | throughput | p50 ms | p95 ms | p99 ms | errors | requests "
            "| peak RSS/worker MB | load by | load avg |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
        ]
        for r in self.results:
            rss = f"{r.peak_rss_mb:.1f}" if r.peak_rss_mb is not None else "-"
            users = f"{r.users:,}" if r.users else "-"
            rows.append(
                f"| {r.scenario} | {users} | {r.rate:,.1f} {r.unit} | {r.p50_ms:.2f} | "
                f"{r.p95_ms:.2f} | {r.p99_ms:.2f} | {r.errors} | {r.requests:,} | {rss} | "
                f"{r.loadgen} | {r.load1:.1f} |"
            )
        return rows

    def ratio_lines(self) -> list[str]:
        lines = []
        per_round = self.round_ratios()
        for name, value in self.ratios().items():
            op, target = TARGETS[name]
            label = name
            if name.startswith("p99") and self.scale:
                label = (
                    f"p99 verify-user {count_label(self.scale['large_users'])}/"
                    f"{count_label(self.scale['small_users'])} users"
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
        service = [r for r in self.results if r.scenario not in ("hash", "ceiling")]
        peaks = [r.peak_rss_mb for r in service if r.peak_rss_mb is not None]
        if peaks:
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
            lines.append(
                f"- peak RSS per service worker (VmHWM): **{worst:.1f} MB** (target <= "
                f"{RSS_TARGET_MB:.0f} MB: {verdict}){shared}"
            )
        return lines

    def report(self) -> int:
        errors = sum(r.errors for r in self.results)
        m = self.meta
        config = Path(m["gunicorn_config"]).name if m["gunicorn_config"] else "its defaults"
        header = [
            f"Run {m['started']} ({m['wall_seconds']} s): {m['db']}, {m['workers']} gunicorn sync "
            f"workers, {m['users']:,} users, concurrency {m['concurrency']}, "
            f"{m['duration_s']:g} s per scenario in {m['rounds']} interleaved round(s), load by "
            f"{m['loadgen']}"
            f", gunicorn settings of {config}"
            f"{'' if m['app'] == DEFAULT_APP else ', app ' + m['app']}; {m['cpus']} CPUs, "
            f"load average {m['loadavg_before'][0]} before / {m['loadavg_after'][0]} after "
            "(the load generator shares the CPUs; other processes may have been running).",
        ]
        lines = (
            header
            + [""]
            + self.table()
            + ["", "Ratios (measured in this run; informational, never judged):"]
        )
        lines += self.ratio_lines()
        if self.notes:
            lines += [""] + [f"- {n}" for n in self.notes]
        plan_lines = ["", "Query plans of the verifyUser lookups:"]
        for plan in self.plans:
            plan_lines.append(
                f"- {plan['lookup']} (index used: {'yes' if plan['uses_index'] else 'NO'}):"
            )
            plan_lines += [f"      {line}" for line in plan["plan"].splitlines()]
        text = "\n".join(lines + plan_lines)
        print("\n" + text, flush=True)

        out = Path(self.args.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        payload = {
            "meta": self.meta,
            "results": [asdict(r) for r in self.results],
            "ratios": self.ratios(),
            "ratios_per_round": self.round_ratios(),
            "scale_check": self.scale,
            "targets": {k: {"op": op, "value": v} for k, (op, v) in TARGETS.items()},
            "query_plans": self.plans,
            "notes": self.notes,
            "errors": errors,
        }
        (out / "bench-results.json").write_text(json.dumps(payload, indent=2) + "\n")
        (out / "bench-results.md").write_text(
            "\n".join(lines + [line.replace("      ", "    ", 1) for line in plan_lines]) + "\n"
        )
        chart = self.chart(out / "bench-results.png")
        written = ["bench-results.json", "bench-results.md"] + ([chart] if chart else [])
        print(f"\nWrote {', '.join(str(out / w) for w in written)}", flush=True)
        if errors:
            print(f"FAILED: {errors} request(s) got an error answer", file=sys.stderr)
            return 1
        print("OK: no errors", flush=True)
        return 0

    def chart(self, path: Path) -> str | None:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("(matplotlib is not installed: no chart; pip install matplotlib)", flush=True)
            return None
        names = [r.scenario for r in self.results]
        figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
        bars = left.bar(names, [r.rate for r in self.results], color="#4c72b0")
        left.bar_label(bars, labels=[f"{r.rate:,.0f}" for r in self.results], fontsize=8)
        left.set_yscale("log")
        left.set_title("throughput (req/s; flows/s; hashes/s), log scale")
        bars = right.bar(names, [r.p99_ms for r in self.results], color="#dd8452")
        right.bar_label(bars, labels=[f"{r.p99_ms:.1f}" for r in self.results], fontsize=8)
        right.set_yscale("log")
        right.set_title("p99 latency (ms), log scale")
        for axis in (left, right):
            axis.tick_params(axis="x", labelrotation=35)
            for label in axis.get_xticklabels():
                label.set_horizontalalignment("right")
        m = self.meta
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
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
    args = parser.parse_args(argv)
    args.users = args.users or (1000 if args.quick else 10_000)
    args.duration = args.duration or (3.0 if args.quick else 15.0)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    try:
        args.env = dict(item.split("=", 1) for item in args.env)
    except ValueError:
        parser.error("--env takes NAME=VALUE")
    config = args.gunicorn_config
    args.gunicorn_config = (
        None if config in ("", "none") or not Path(config).is_file() else Path(config).resolve()
    )
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if min(args.users, args.workers, args.concurrency, args.rounds) < 1 or args.duration <= 0:
        parser.error("--users, --workers, --concurrency, --rounds and --duration must be positive")
    sys.path.insert(0, str(ROOT))
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
