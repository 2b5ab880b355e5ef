#!/usr/bin/env python3
"""Load benchmark of the real service under gunicorn, on SQLite or PostgreSQL.

    pip install -e '.[test,serve]'           # gunicorn, psycopg; wrk and matplotlib are optional
    python scripts/bench.py --quick           # a few seconds per scenario, 1,000 users (< 3 min)
    python scripts/bench.py                   # 10,000 users, 10 s per scenario, SQLite
    python scripts/bench.py --db postgresql --scale-check     # + verify-user p99 at 1k vs 1M users

What it does: migrates a fresh database (a temporary SQLite file, or a schema of its own in the
PostgreSQL at --postgres-url, dropped afterwards), seeds users in bulk (SQLAlchemy Core inserts,
one precomputed argon2 hash, an e-mail claim each, confirmed and unlocked), starts
``gunicorn recovery_soap.app:application`` on 127.0.0.1 with RECOVERY_* variables (rate limits
and captcha off, external notifications, a bootstrap service account), and drives a bounded load
(concurrency C for T seconds per scenario) with wrk (Lua scripts in a temporary directory) or,
without wrk, a built-in multi-process generator (http.client). The e-mail recovery flow, which
needs per-flow state, always uses the built-in generator.

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
APP_SCENARIOS = ("questions", "claims", "verify-user", "recovery-flow", "register")
UNITS = {"recovery-flow": "flows/s", "hash": "hashes/s"}
TARGETS = {
    "questions/ceiling": (">=", 0.50),
    "verify-user/ceiling": (">=", 0.30),
    "register/hash": (">=", 0.85),
    "p99 verify-user 1M/1k": ("<=", 1.25),
}
RSS_TARGET_MB = 100.0


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
        el("userName", name) + el("password", USER_PASSWORD) + claims
        + el("profileName", "default") + el("tenantDomain", SUPER_TENANT),
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
    """``gunicorn APP`` on 127.0.0.1 with N sync workers (the worker class `serve --workers` uses).

    A post_worker_init hook sends each worker one /healthz through its WSGI callable, so the
    lazily built application exists before the worker accepts load (and, with --gc-freeze,
    collects and freezes the heap then)."""

    def __init__(self, app: str, env: dict[str, str], workers: int, workdir: Path, name: str,
                 gc_freeze: bool, pythonpath: Path | None = None) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.log = workdir / f"{name}-gunicorn.log"
        config = workdir / f"{name}-gunicorn.conf.py"
        config.write_text(textwrap.dedent(f"""\
            import gc

            def post_worker_init(worker):
                def start_response(status, headers, exc_info=None):
                    return lambda data: None
                environ = {{"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz", "QUERY_STRING": "",
                           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "0",
                           "wsgi.url_scheme": "http"}}
                worker.wsgi(environ, start_response)
                if {gc_freeze!r}:
                    gc.collect()
                    gc.freeze()
            """))
        command = [
            sys.executable, "-m", "gunicorn", "--config", str(config),
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
            "--worker-class", "sync", "--timeout", "120", "--graceful-timeout", "5",
            "--log-level", "warning", "--error-logfile", str(self.log),
        ]
        if pythonpath is not None:
            command += ["--pythonpath", str(pythonpath)]
        command.append(app)
        self.process = subprocess.Popen(command, env=env, cwd=workdir,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.workers = workers

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
        return [m for m in (vm_hwm_mb(p) for p in self.worker_pids()) if m is not None]

    def tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
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
        subprocess.run([sys.executable, "-m", "recovery_soap.cli", "db", "upgrade"],
                       env={**os.environ, "RECOVERY_DATABASE_URL": self.url}, check=True,
                       stdout=subprocess.DEVNULL)
        from recovery_soap.store.db import make_engine

        self.engine = make_engine(self.url)

    def drop(self) -> None:
        from sqlalchemy import text

        self.engine.dispose()
        if self._admin is not None and self.schema:
            with self._admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            self._admin.dispose()


def seed_users(engine: Any, start: int, stop: int, password_hash: str,
               batch: int = 20_000, progress: bool = False) -> float:
    """Users start..stop-1 (names u0000001...), confirmed and unlocked, each with an e-mail and a
    given-name claim, by Core inserts straight into the tables. Returns the seconds it took."""
    from sqlalchemy import and_, insert, literal, select

    from recovery_soap.store.models import ClaimRow, TenantRow, UserRow

    users, claims, tenants = UserRow.__table__, ClaimRow.__table__, TenantRow.__table__
    began = time.perf_counter()
    with engine.begin() as connection:
        tenant_id = connection.execute(
            select(tenants.c.id).where(tenants.c.domain == SUPER_TENANT)).scalar_one()
    now = datetime.now(UTC).replace(tzinfo=None)
    for first in range(start, stop, batch):
        last = min(first + batch, stop)
        with engine.begin() as connection:
            connection.execute(insert(users), [
                {"tenant_id": tenant_id, "username": user_name(i), "password_hash": password_hash,
                 "locked": False, "pending_confirmation": False, "created_at": now}
                for i in range(first, last)
            ])
            # The claims of the batch straight from the rows just written (ids assigned there).
            batch_users = and_(users.c.tenant_id == tenant_id,
                               users.c.username.between(user_name(first), user_name(last - 1)))
            for uri, value in ((EMAIL_CLAIM, users.c.username + literal("@bench.test")),
                               (GIVEN_CLAIM, literal("Bench"))):
                connection.execute(insert(claims).from_select(
                    ["user_id", "tenant_id", "claim_uri", "value"],
                    select(users.c.id, users.c.tenant_id, literal(uri), value).where(batch_users),
                ))
        if progress and (last - start) % 200_000 < batch:
            print(f"  seeded {last - 1:,} users ({time.perf_counter() - began:.0f} s)", flush=True)
    if engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE users"))
            connection.execute(text("ANALYZE user_claims"))
    return time.perf_counter() - began


def explain_lookups(engine: Any) -> list[dict[str, Any]]:
    """The query plans of verifyUser's lookups, each with whether it uses an index."""
    from sqlalchemy import select, text

    from recovery_soap.store.models import CodeRow, ServiceAccountRow, TenantRow, UserRow

    users, codes = UserRow.__table__, CodeRow.__table__
    accounts, tenants = ServiceAccountRow.__table__, TenantRow.__table__
    with engine.connect() as connection:
        tenant_id = connection.execute(
            select(tenants.c.id).where(tenants.c.domain == SUPER_TENANT)).scalar_one()
        code_hash = connection.execute(select(codes.c.code_hash).limit(1)).scalar() or "0" * 64
    # The statements of UserRepository.get, CodeRepository.find, CodeRepository.spend_all (run
    # by codes.issue) and AccountRepository.get (every request authenticates).
    statements = {
        "user by tenant+username": select(
            users.c.id, users.c.username, users.c.password_hash, users.c.locked,
            users.c.pending_confirmation,
        ).where(users.c.tenant_id == tenant_id, users.c.username == user_name(1)),
        "code by hash": select(codes).where(codes.c.code_hash == code_hash),
        "live codes of a user (spend_all)": codes.update().where(
            codes.c.user_id == 1, codes.c.purpose == "recovery", codes.c.used_at.is_(None),
        ).values(used_at=codes.c.expires_at),
        "service account by name": select(accounts, tenants.c.domain).join(
            tenants, tenants.c.id == accounts.c.tenant_id).where(accounts.c.name == ACCOUNT),
    }
    postgres = engine.dialect.name == "postgresql"
    plans = []
    with engine.connect() as connection:
        for name, statement in statements.items():
            sql = str(statement.compile(dialect=engine.dialect,
                                        compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            rows = connection.execute(text(prefix + sql)).all()
            lines = [row[0] for row in rows] if postgres else [str(row[-1]) for row in rows]
            plan = "\n".join(lines)
            if postgres:
                indexed = "Index" in plan and "Seq Scan on users" not in plan \
                    and "Seq Scan on codes" not in plan
            else:
                indexed = all(("USING" in line or "SCAN" not in line) for line in lines) and any(
                    "USING" in line for line in lines)
            plans.append({"lookup": name, "sql": " ".join(sql.split()), "plan": plan,
                          "uses_index": indexed})
            connection.rollback()  # the spend_all plan is only explained, never run
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
      bad = bad .. status .. ": " .. string.gsub(string.sub(body or "", 1, 280), "\n", " ") .. "\n"
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
        "must": lua_quote(MUST[scenario]), "must_not": lua_quote(MUST_NOT),
        "seed": random.randrange(1, 1 << 30), "path": SERVICE_PATH, "auth": auth,
        "static": static,
    }
    if scenario == "verify-user":
        script += LUA_VERIFY_USER % {
            "template": verify_user_body("%s").replace("%", "%%").replace("%%s", "%s"),
            "users": users}
    elif scenario == "register":
        script += LUA_REGISTER % {
            "template": register_body("%s").replace("%", "%%").replace("%%s", "%s"),
            "run": run_id}
    return script


def run_wrk(scenario: str, url: str, auth: str, users: int, concurrency: int, duration: float,
            workdir: Path, run_id: str) -> dict[str, Any]:
    script = workdir / f"{scenario}.lua"
    script.write_text(wrk_script(scenario, auth, users, run_id))
    threads = max(1, min(2, concurrency))
    command = ["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{duration:g}s",
               "--timeout", "30s", "-s", str(script), url + SERVICE_PATH]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    data = None
    bad = []
    for line in done.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            data = json.loads(line[len("BENCHJSON "):])
        elif line.startswith("BENCHBAD "):
            bad.append(line[len("BENCHBAD "):])
    if data is None:
        raise RuntimeError(f"wrk gave no result (exit {done.returncode}):\n"
                           f"{done.stdout}\n{done.stderr}")
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    if socket_errors:
        bad.append(f"socket errors: connect {data['connect']}, read {data['read']}, "
                   f"write {data['write']}, timeout {data['timeout']}")
    seconds = data["duration_us"] / 1e6
    return {
        "requests": int(data["requests"]), "seconds": seconds,
        "rate": data["requests"] / seconds if seconds else 0.0,
        "p50_ms": data["p50_us"] / 1000, "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000, "max_ms": data["max_us"] / 1000,
        "errors": int(data["bad_responses"] + socket_errors), "error_samples": bad[:5],
        "loadgen": "wrk",
    }


# --- load generation: built-in (multi-process http.client) -------------------------------------

VALUE = re.compile(rb"<(?:[\w.-]+:)?(key|notificationCode)>([^<]+)</")


class Client:
    """One keep-alive connection (reopened whenever the server closes it, as sync workers do)."""

    def __init__(self, port: int, auth: str) -> None:
        self.port = port
        self.headers = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""',
                        "Authorization": auth}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, body: str) -> tuple[int, bytes]:
        try:
            self.connection.request("POST", SERVICE_PATH, body=body.encode(),
                                    headers=self.headers)
            answer = self.connection.getresponse()
            return answer.status, answer.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            return 0, f"{type(error).__name__}: {error}".encode()


def recovery_flow(client: Client, name: str) -> tuple[bool, str]:
    """The four calls of the e-mail recovery flow with external notifications."""
    steps = (
        ("verifyUser", lambda v: el("username", name), b"key"),
        ("sendRecoveryNotification",
         lambda v: el("username", name) + el("key", v) + el("notificationType", "EMAIL"),
         b"notificationCode"),
        ("verifyConfirmationCode", lambda v: el("username", name) + el("code", v), b"key"),
        ("updatePassword", lambda v: el("username", name) + el("confirmationCode", v)
         + el("newPassword", NEW_PASSWORD), None),
    )
    value = ""
    for operation, inner, wanted in steps:
        status, body = client.post(envelope(operation, inner(value)))
        if status != 200 or b"verified>true<" not in body or b"Fault>" in body \
                or b"error>" in body:
            return False, f"{operation} {status}: {body[:280].decode('utf-8', 'replace')}"
        if wanted is not None:
            found = {k: v for k, v in VALUE.findall(body)}
            if wanted not in found:
                return False, f"{operation}: no {wanted.decode()} in the answer"
            value = found[wanted].decode()
    return True, ""


def _builtin_worker(job: dict[str, Any]) -> dict[str, Any]:
    scenario, index, slots = job["scenario"], job["index"], job["slots"]
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
            why = f"{status}: {answer[:280].decode('utf-8', 'replace')}"
        last = time.monotonic()
        latencies.append(last - began)
        count += 1
        if not ok:
            errors += 1
            if len(samples) < 3:
                samples.append(why)
    return {"count": count, "errors": errors, "samples": samples,
            "latencies": latencies.tobytes(), "last": last, "start": job["start_at"]}


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
        "requests": count, "seconds": seconds, "rate": count / seconds if seconds > 0 else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000, "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] * 1000) if latencies else 0.0,
        "errors": sum(p["errors"] for p in parts),
        "error_samples": [s for p in parts for s in p["samples"]][:5], "loadgen": loadgen,
    }


def run_builtin(scenario: str, port: int, auth: str, users: int, concurrency: int,
                duration: float, run_id: str) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    start_at = time.monotonic() + 0.5
    seed = random.randrange(1 << 30)
    jobs = [{"scenario": scenario, "index": i, "slots": concurrency, "port": port, "auth": auth,
             "users": users, "duration": duration, "start_at": start_at, "seed": seed,
             "run_id": run_id} for i in range(concurrency)]
    with context.Pool(concurrency) as pool:
        parts = pool.map(_builtin_worker, jobs)
    return summarise(parts, "built-in")


def _hash_worker(job: dict[str, Any]) -> dict[str, Any]:
    from recovery_soap.config import Settings
    from recovery_soap.core.passwords import SlowHasher

    defaults = Settings()
    hasher = SlowHasher(defaults.argon2_memory_kib, defaults.argon2_time_cost)
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
    return {"count": count, "errors": 0, "samples": [], "latencies": latencies.tobytes(),
            "last": last, "start": job["start_at"], "rss": vm_hwm_mb()}


def run_hash(processes: int, duration: float) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")  # fresh processes: their own peak RSS
    start_at = time.monotonic() + 3.0  # room for the interpreters to start and import
    jobs = [{"start_at": start_at, "duration": duration} for _ in range(processes)]
    with context.Pool(processes) as pool:
        parts = pool.map(_hash_worker, jobs)
    result = summarise(parts, "in-process")
    result["rss_mb"] = [p["rss"] for p in parts if p["rss"] is not None]
    return result


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
        "root": root.tag, "nsmap": dict(root.nsmap), "body": body.tag, "response": answer.tag,
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


def post_once(url: str, auth: str, body: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url + SERVICE_PATH, data=body.encode(), method="POST",
        headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""',
                 "Authorization": auth})
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

    def load(self, scenario: str, server: Gunicorn, users: int) -> Result:
        args = self.args
        builtin = scenario == "recovery-flow" or not self.use_wrk
        print(f"- {scenario}: {args.concurrency} connections, {args.duration:g} s "
              f"({'built-in generator' if builtin else 'wrk'})", flush=True)
        if builtin:
            data = run_builtin(scenario, server.port, self.auth, users, args.concurrency,
                               args.duration, self.run_id)
        else:
            data = run_wrk(scenario, server.url, self.auth, users, args.concurrency,
                           args.duration, self.workdir, self.run_id)
        rss = server.peak_rss_mb()
        result = Result(
            scenario=scenario, unit=UNITS.get(scenario, "req/s"), rate=data["rate"],
            p50_ms=data["p50_ms"], p95_ms=data["p95_ms"], p99_ms=data["p99_ms"],
            max_ms=data["max_ms"], errors=data["errors"], requests=data["requests"],
            seconds=data["seconds"], peak_rss_mb=max(rss) if rss else None, rss_mb=rss,
            loadgen=data["loadgen"], users=users, error_samples=data["error_samples"],
        )
        self.report_line(result)
        return result

    @staticmethod
    def report_line(r: Result) -> None:
        rss = f"{r.peak_rss_mb:.0f} MB" if r.peak_rss_mb is not None else "-"
        print(f"  {r.rate:9.1f} {r.unit:<9} p50 {r.p50_ms:7.2f} ms  p95 {r.p95_ms:7.2f} ms  "
              f"p99 {r.p99_ms:7.2f} ms  errors {r.errors}  peak RSS/worker {rss}", flush=True)
        for sample in r.error_samples:
            print(f"    error: {sample}", flush=True)

    def app_env(self, database_url: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("RECOVERY_") or k.startswith("RECOVERY_EXPERIMENT_")}
        env.update({
            "RECOVERY_DATABASE_URL": database_url,
            "RECOVERY_RATE_LIMITS": "off",
            "RECOVERY_CAPTCHA_VERIFICATION": "off",
            "RECOVERY_NOTIFICATION_SENDING": "external",
            "RECOVERY_BOOTSTRAP_ACCOUNT": f"{ACCOUNT}:{self.secret}",
            "RECOVERY_SECRET_KEY": self.secret_key,
            "RECOVERY_LOG_LEVEL": "WARNING",
        })
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
            run_builtin(scenario, server.port, self.auth, users, max(2, server.workers), 0.5,
                        self.run_id)

    def run(self) -> int:
        args = self.args
        self.workdir = Path(tempfile.mkdtemp(prefix="recovery-bench-"))
        servers: list[Gunicorn] = []
        database: Database | None = None
        started = time.time()
        load_before = os.getloadavg()
        try:
            print(f"Database: {args.db}; workers {args.workers}; users {args.users:,}; "
                  f"concurrency {args.concurrency}; {args.duration:g} s per scenario; "
                  f"load generator {'wrk' if self.use_wrk else 'built-in'}", flush=True)
            database = Database(args.db, self.workdir, args.postgres_url)
            self.database = database
            from recovery_soap.config import Settings
            from recovery_soap.core.passwords import SlowHasher

            defaults = Settings()
            password_hash = SlowHasher(defaults.argon2_memory_kib,
                                       defaults.argon2_time_cost).hash(USER_PASSWORD)
            wanted = [s for s in args.scenarios if s in SCENARIOS]
            seeded = 0
            first = min(1000, args.users) if args.scale_check else args.users
            took = seed_users(database.engine, 1, first + 1, password_hash,
                              progress=first > 100_000)
            seeded = first
            print(f"Seeded {seeded:,} users in {took:.1f} s", flush=True)

            self.create_account(database.url)
            app = Gunicorn(args.app, self.app_env(database.url), args.workers, self.workdir,
                           "app", args.gc_freeze, pythonpath=args.pythonpath)
            servers.append(app)
            app.wait_ready("/readyz")
            status, questions = post_once(app.url, self.auth, QUESTIONS_BODY)
            if not response_ok("questions", status, questions):
                raise RuntimeError(f"getAllChallengeQuestions failed: {status} {questions[:500]!r}")
            self.warm_up(app, seeded)

            scale: dict[str, Any] = {}
            if args.scale_check:
                print(f"Scale check: verify-user at {seeded:,} users", flush=True)
                small = self.load("verify-user", app, seeded)
                small.scenario = "verify-user@1k"
                self.results.append(small)
                scale["small_users"] = seeded
            if args.users > seeded:
                took = seed_users(database.engine, seeded + 1, args.users + 1, password_hash,
                                  progress=args.users > 100_000)
                print(f"Seeded up to {args.users:,} users in {took:.1f} s", flush=True)
                seeded = args.users
                self.warm_up(app, seeded)

            for scenario in wanted:
                if scenario in APP_SCENARIOS:
                    self.results.append(self.load(scenario, app, seeded))

            if args.scale_check:
                if seeded < args.scale_users:
                    print(f"Seeding up to {args.scale_users:,} users for the scale check",
                          flush=True)
                    took = seed_users(database.engine, seeded + 1, args.scale_users + 1,
                                      password_hash, progress=True)
                    print(f"Seeded up to {args.scale_users:,} users in {took:.1f} s", flush=True)
                    seeded = args.scale_users
                    self.warm_up(app, seeded)
                    large = self.load("verify-user", app, seeded)
                    large.scenario = "verify-user@1M"
                    self.results.append(large)
                else:
                    large = next((r for r in self.results if r.scenario == "verify-user"), None)
                    if large is None:
                        large = self.load("verify-user", app, seeded)
                        self.results.append(large)
                scale["large_users"] = seeded
                small = next(r for r in self.results if r.scenario == "verify-user@1k")
                scale["p99_small_ms"], scale["p99_large_ms"] = small.p99_ms, large.p99_ms
            self.scale = scale
            self.plans = explain_lookups(database.engine)
            self.users_total = seeded
            app.stop()

            if "ceiling" in wanted:
                self.ceiling(questions)
            if "hash" in wanted:
                print(f"- hash: {args.workers} processes, {args.duration:g} s", flush=True)
                data = run_hash(args.workers, args.duration)
                result = Result(
                    scenario="hash", unit=UNITS["hash"], rate=data["rate"], p50_ms=data["p50_ms"],
                    p95_ms=data["p95_ms"], p99_ms=data["p99_ms"], max_ms=data["max_ms"],
                    errors=0, requests=data["requests"], seconds=data["seconds"],
                    peak_rss_mb=max(data["rss_mb"]) if data["rss_mb"] else None,
                    rss_mb=data["rss_mb"], loadgen=data["loadgen"])
                self.report_line(result)
                self.results.append(result)
        finally:
            for server in servers:
                server.stop()
            if database is not None:
                database.drop()
            if not args.keep:
                shutil.rmtree(self.workdir, ignore_errors=True)
        self.meta = {
            "started": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
            "wall_seconds": round(time.time() - started, 1),
            "db": args.db, "workers": args.workers, "users": self.users_total,
            "concurrency": args.concurrency, "duration_s": args.duration,
            "loadgen": "wrk" if self.use_wrk else "built-in", "gc_freeze": args.gc_freeze,
            "quick": args.quick, "cpus": os.cpu_count(), "app": args.app,
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "machine": platform.machine(),
            "versions": versions(),
        }
        return self.report()

    def ceiling(self, questions: bytes) -> None:
        args = self.args
        (self.workdir / "bench_ceiling.py").write_text(CEILING_MODULE)
        env = {**os.environ, "BENCH_CEILING_RESPONSE": json.dumps(ceiling_spec(questions))}
        server = Gunicorn("bench_ceiling:application", env, args.workers, self.workdir,
                          "ceiling", args.gc_freeze, pythonpath=self.workdir)
        try:
            server.wait_ready("/healthz")
            status, body = post_once(server.url, self.auth, QUESTIONS_BODY)
            same = status == 200 and body == questions
            self.notes.append("ceiling answer is byte-identical to the service's" if same else
                              "ceiling answer differs from the service's (check the harness)")
            print(f"  ceiling answer byte-identical to the service's: {same}", flush=True)
            result = self.load("ceiling", server, 0)
            self.results.append(result)
        finally:
            server.stop()

    # --- reporting -----------------------------------------------------------------------------

    def rate(self, scenario: str) -> float | None:
        found = [r for r in self.results if r.scenario == scenario]
        return found[0].rate if found else None

    def ratios(self) -> dict[str, float | None]:
        def ratio(a: float | None, b: float | None) -> float | None:
            return a / b if a is not None and b else None

        out = {
            "questions/ceiling": ratio(self.rate("questions"), self.rate("ceiling")),
            "verify-user/ceiling": ratio(self.rate("verify-user"), self.rate("ceiling")),
            "register/hash": ratio(self.rate("register"), self.rate("hash")),
        }
        if self.scale:
            out["p99 verify-user 1M/1k"] = ratio(self.scale["p99_large_ms"],
                                                 self.scale["p99_small_ms"])
        return out

    def table(self) -> list[str]:
        rows = [
            "| scenario | users | throughput | p50 ms | p95 ms | p99 ms | errors | requests "
            "| peak RSS/worker MB | load |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for r in self.results:
            rss = f"{r.peak_rss_mb:.1f}" if r.peak_rss_mb is not None else "-"
            users = f"{r.users:,}" if r.users else "-"
            rows.append(
                f"| {r.scenario} | {users} | {r.rate:,.1f} {r.unit} | {r.p50_ms:.2f} | "
                f"{r.p95_ms:.2f} | {r.p99_ms:.2f} | {r.errors} | {r.requests:,} | {rss} | "
                f"{r.loadgen} |")
        return rows

    def ratio_lines(self) -> list[str]:
        lines = []
        for name, value in self.ratios().items():
            op, target = TARGETS[name]
            if value is None:
                lines.append(f"- {name}: n/a")
                continue
            met = value >= target if op == ">=" else value <= target
            lines.append(f"- {name}: **{value:.2f}** (target {op} {target:.2f}: "
                         f"{'met' if met else 'not met'})")
        peaks = [r.peak_rss_mb for r in self.results
                 if r.peak_rss_mb is not None and r.scenario not in ("hash", "ceiling")]
        if peaks:
            worst = max(peaks)
            verdict = "met" if worst <= RSS_TARGET_MB else "not met"
            lines.append(f"- peak RSS per service worker: **{worst:.1f} MB** (target <= "
                         f"{RSS_TARGET_MB:.0f} MB: {verdict})")
        return lines

    def report(self) -> int:
        errors = sum(r.errors for r in self.results)
        m = self.meta
        header = [
            f"Run {m['started']} ({m['wall_seconds']} s): {m['db']}, {m['workers']} gunicorn sync "
            f"workers, {m['users']:,} users, concurrency {m['concurrency']}, "
            f"{m['duration_s']:g} s per scenario, load by {m['loadgen']}"
            f"{', gc.freeze() in workers' if m['gc_freeze'] else ''}"
            f"{'' if m['app'] == DEFAULT_APP else ', app ' + m['app']}; {m['cpus']} CPUs, "
            f"load average {m['loadavg_before'][0]} before / {m['loadavg_after'][0]} after "
            "(the load generator shares the CPUs; other processes may have been running).",
        ]
        lines = header + [""] + self.table() + ["", "Ratios (measured in this run; "
                                                "informational, never judged):"]
        lines += self.ratio_lines()
        if self.notes:
            lines += [""] + [f"- {n}" for n in self.notes]
        plan_lines = ["", "Query plans of the verifyUser lookups:"]
        for plan in self.plans:
            plan_lines.append(f"- {plan['lookup']} (index used: "
                              f"{'yes' if plan['uses_index'] else 'NO'}):")
            plan_lines += [f"      {line}" for line in plan["plan"].splitlines()]
        text = "\n".join(lines + plan_lines)
        print("\n" + text, flush=True)

        out = Path(self.args.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        payload = {"meta": self.meta, "results": [asdict(r) for r in self.results],
                   "ratios": self.ratios(), "scale_check": self.scale,
                   "targets": {k: {"op": op, "value": v} for k, (op, v) in TARGETS.items()},
                   "query_plans": self.plans, "notes": self.notes, "errors": errors}
        (out / "bench-results.json").write_text(json.dumps(payload, indent=2) + "\n")
        (out / "bench-results.md").write_text(
            "\n".join(lines + [line.replace("      ", "    ", 1) for line in plan_lines]) + "\n")
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
        left.bar(names, [r.rate for r in self.results], color="#4c72b0")
        left.set_yscale("log")
        left.set_title("throughput (req/s; flows/s; hashes/s), log scale")
        right.bar(names, [r.p99_ms for r in self.results], color="#dd8452")
        right.set_yscale("log")
        right.set_title("p99 latency (ms), log scale")
        for axis in (left, right):
            axis.tick_params(axis="x", labelrotation=35)
            for label in axis.get_xticklabels():
                label.set_horizontalalignment("right")
        m = self.meta
        figure.suptitle(f"recovery-soap: {m['db']}, {m['workers']} workers, {m['users']:,} users, "
                        f"c={m['concurrency']}, {m['cpus']} CPUs (shared, noisy)")
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("RECOVERY_TEST_POSTGRES_URL",
                                                                 DEFAULT_POSTGRES))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--users", type=int, help="users to seed (default 10,000; 1,000 quick)")
    parser.add_argument("--concurrency", "-c", type=int, default=4,
                        help="connections (wrk) or client processes (built-in); default 4")
    parser.add_argument("--duration", "-d", type=float,
                        help="seconds per scenario (default 10; 3 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="small seed, a few seconds per scenario (under 3 minutes)")
    parser.add_argument("--scale-check", action="store_true",
                        help="also compare verify-user p99 at 1,000 users and --scale-users")
    parser.add_argument("--scale-users", type=int, default=1_000_000)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "builtin"), default="auto",
                        help="auto: wrk when installed, else the built-in generator")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.collect(); gc.freeze() in each worker after start")
    parser.add_argument("--app", default=DEFAULT_APP,
                        help="WSGI callable to serve (to try a variant; default: the service)")
    parser.add_argument("--pythonpath", type=Path, help="extra import path for --app")
    parser.add_argument("--out-dir", default=".", help="where bench-results.* go (default .)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    args.users = args.users or (1000 if args.quick else 10_000)
    args.duration = args.duration or (3.0 if args.quick else 10.0)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.users < 1 or args.workers < 1 or args.concurrency < 1 or args.duration <= 0:
        parser.error("--users, --workers, --concurrency and --duration must be positive")
    sys.path.insert(0, str(ROOT))
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
