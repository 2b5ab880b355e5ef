#!/usr/bin/env python3
"""How well one request's response time tells a known user from an unknown one, against a running
server with hide_user_existence on.

    pip install -e '.[test,serve]'
    python scripts/enumeration-timing.py                      # SQLite, 300 pairs per operation
    python scripts/enumeration-timing.py --db postgresql      # a schema of its own, dropped after

What it does: migrates a fresh database (a temporary SQLite file, or a schema of its own in the
PostgreSQL at --postgres-url), adds one user with an e-mail address (``recovery-soap user add``),
starts ``recovery-soap serve`` (waitress, one process; ``--workers N`` uses gunicorn as
scripts/bench.py does) on 127.0.0.1 with hide_user_existence on, captcha off, mail sent internally
(queued, no SMTP server: nothing leaves the machine) and rate limits off (so that the known user's
mail limit does not end the run), then times, over one keep-alive connection, pairs of requests
for the known user and an unknown name, in random order within each pair:

- verifyUser (known name / unknown name);
- sendRecoveryNotification with the key verifyUser just gave (the verifyUser call is not timed);
- verifyAccount by e-mail address (the user's / an unknown one);
- the subscriber API's reset-password/initiate (client-credentials token with apim:subscribe).

Accuracy of a one-request guess, two ways, both reported:
- ``train/test``: a threshold classifier (threshold and direction) fitted on the even pairs and
  scored on the odd ones -- what an attacker who first calibrates on accounts they own would get;
- ``best``: the best threshold chosen on all samples and scored on the same samples -- an upper
  bound that flatters the attacker.
50 % is a coin toss; the target is <= 60 %. Timings are reported, never judged (exit status 0
unless the server fails or answers differ from what hiding promises).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

SERVICE_PATH = "/services/UserInformationRecoveryService"
SUBSCRIBER_PATH = "/api/am/user/subscriber/reset-password/initiate"
EMAIL_CLAIM = "http://wso2.org/claims/emailaddress"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ACCOUNT = "timing"
OPERATIONS = ("verifyUser", "sendRecoveryNotification", "verifyAccount", "subscriber-initiate")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def envelope(operation: str, inner: str) -> bytes:
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:ser="http://services.mgt.identity.carbon.wso2.org" '
        'xmlns:xsd="http://dto.mgt.identity.carbon.wso2.org/xsd"><soapenv:Body>'
        f"<ser:{operation}>{inner}</ser:{operation}></soapenv:Body></soapenv:Envelope>"
    ).encode()


class Client:
    """One keep-alive connection; every call returns (status, body, milliseconds)."""

    def __init__(self, port: int, secret: str) -> None:
        self.port = port
        self.basic = "Basic " + base64.b64encode(f"{ACCOUNT}:{secret}".encode()).decode()
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.token = ""

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        self.conn.request("POST", path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, data, (time.perf_counter() - started) * 1000

    def soap(self, operation: str, inner: str) -> tuple[int, bytes, float]:
        headers = {
            "Content-Type": "text/xml; charset=UTF-8",
            "SOAPAction": f'"urn:{operation}"',
            "Authorization": self.basic,
        }
        return self.post(SERVICE_PATH, envelope(operation, inner), headers)

    def fetch_token(self) -> None:
        form = b"grant_type=client_credentials&scope=apim%3Asubscribe"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": self.basic,
        }
        status, body, _ = self.post("/oauth2/token", form, headers)
        if status != 200:
            raise RuntimeError(f"no token: {status} {body[:200]!r}")
        self.token = json.loads(body)["access_token"]

    def initiate(self, name: str) -> tuple[int, bytes, float]:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        return self.post(SUBSCRIBER_PATH, json.dumps({"email": name}).encode(), headers)


def key_of(body: bytes) -> str:
    start = body.find(b"key>")
    end = body.find(b"</", start)
    return body[start + 4 : end].decode() if start >= 0 else ""


def timed_call(client: Client, operation: str, name: str) -> float:
    """One timed request of ``operation`` for ``name`` (untimed preparation excluded)."""
    if operation == "verifyUser":
        status, body, ms = client.soap("verifyUser", f"<ser:username>{name}</ser:username>")
    elif operation == "sendRecoveryNotification":
        _, started, _ = client.soap("verifyUser", f"<ser:username>{name}</ser:username>")
        inner = (
            f"<ser:username>{name}</ser:username><ser:key>{key_of(started)}</ser:key>"
            "<ser:notificationType>EMAIL</ser:notificationType>"
        )
        status, body, ms = client.soap("sendRecoveryNotification", inner)
    elif operation == "verifyAccount":
        inner = (
            f"<ser:claims><xsd:claimUri>{EMAIL_CLAIM}</xsd:claimUri>"
            f"<xsd:claimValue>{name}@example.test</xsd:claimValue></ser:claims>"
        )
        status, body, ms = client.soap("verifyAccount", inner)
    else:
        status, body, ms = client.initiate(name)
    if status != 200 or b"error>" in body or b'"success":false' in body:
        raise RuntimeError(f"{operation} for {name}: {status} {body[:300]!r}")
    return ms


def fit(samples: list[tuple[bool, float]]) -> tuple[float, bool, float]:
    """The threshold and direction (known slower?) that classify ``samples`` best, and the
    accuracy they reach on them."""
    values = sorted({ms for _, ms in samples})
    cuts = [(a + b) / 2 for a, b in zip(values, values[1:], strict=False)] or values
    best = (0.0, True, 0.0)
    for cut in cuts:
        for slower in (True, False):
            right = sum((ms > cut) == (known == slower) for known, ms in samples)
            accuracy = right / len(samples)
            if accuracy > best[2]:
                best = (cut, slower, accuracy)
    return best


def score(samples: list[tuple[bool, float]], cut: float, slower: bool) -> float:
    return sum((ms > cut) == (known == slower) for known, ms in samples) / len(samples)


def measure(
    call: Callable[[str, str], float], operation: str, known: str, pairs: int, warmup: int
) -> dict[str, float]:
    for _ in range(warmup):
        call(operation, known)
        call(operation, f"ghost_{uuid.uuid4().hex[:10]}")
    rows: list[list[tuple[bool, float]]] = []
    for _ in range(pairs):
        ghost = f"ghost_{uuid.uuid4().hex[:10]}"
        order = [(True, known), (False, ghost)]
        random.shuffle(order)
        rows.append([(is_known, call(operation, name)) for is_known, name in order])
    train = [s for i, pair in enumerate(rows) if i % 2 == 0 for s in pair]
    test = [s for i, pair in enumerate(rows) if i % 2 == 1 for s in pair]
    cut, slower, _ = fit(train)
    everything = train + test
    return {
        "known_median_ms": statistics.median(ms for k, ms in everything if k),
        "unknown_median_ms": statistics.median(ms for k, ms in everything if not k),
        "train_test_accuracy": score(test, cut, slower),
        "best_threshold_accuracy": fit(everything)[2],
    }


def database(args: argparse.Namespace, workdir: Path) -> tuple[str, Callable[[], None]]:
    if args.db == "sqlite":
        return f"sqlite:///{workdir / 'timing.db'}", lambda: None
    from sqlalchemy import create_engine, text

    admin = create_engine(args.postgres_url)
    name = f"rs_timing_{uuid.uuid4().hex[:10]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()

    separator = "&" if "?" in args.postgres_url else "?"
    return f"{args.postgres_url}{separator}options=-csearch_path%3D{name}", drop


def run(args: argparse.Namespace, workdir: Path) -> dict[str, dict[str, float]]:
    url, drop = database(args, workdir)
    secret = secrets.token_urlsafe(24)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
    env.update(
        RECOVERY_DATABASE_URL=url,
        RECOVERY_HIDE_USER_EXISTENCE="true",
        RECOVERY_CAPTCHA_VERIFICATION="off",
        RECOVERY_RATE_LIMITS="off",
        RECOVERY_BOOTSTRAP_ACCOUNT=f"{ACCOUNT}:{secret}",
        RECOVERY_SECRET_KEY=secrets.token_urlsafe(32),
        RECOVERY_LOG_LEVEL="WARNING",
    )
    cli = [sys.executable, "-m", "recovery_soap.cli"]
    server = None
    try:
        subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
        known = f"known_{uuid.uuid4().hex[:10]}"
        subprocess.run(
            [*cli, "user", "add", known, "--password-stdin"]
            + ["--claim", f"{EMAIL_CLAIM}={known}@example.test"],
            env=env,
            input=b"Timing#Passw0rd-1\n",
            check=True,
            capture_output=True,
        )
        port = free_port()
        serve = [*cli, "serve", "--port", str(port), "--workers", str(args.workers)]
        server = subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr)
        client = wait_for(port, secret, server)
        client.fetch_token()

        def call(operation: str, name: str) -> float:
            return timed_call(client, operation, name)

        return {
            op: measure(call, op, known, args.pairs, args.warmup)
            for op in (args.operations or OPERATIONS)
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop()


def wait_for(port: int, secret: str, server: subprocess.Popen[bytes]) -> Client:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited early")
        try:
            client = Client(port, secret)
            client.conn.request("GET", "/health")
            client.conn.getresponse().read()
            return client
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not come up")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("RECOVERY_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--pairs", type=int, default=300, help="known/unknown pairs (>= 200)")
    parser.add_argument("--warmup", type=int, default=30, help="untimed pairs first")
    parser.add_argument("--workers", type=int, default=1, help=">1 serves with gunicorn")
    parser.add_argument("--operations", nargs="*", choices=OPERATIONS)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="enumeration-timing-") as workdir:
        results = run(args, Path(workdir))
    print(f"{args.db}, {args.pairs} pairs per operation (accuracy of a one-request guess)")
    print(f"{'operation':26} {'known ms':>9} {'unknown ms':>10} {'train/test':>10} {'best':>6}")
    for op, r in results.items():
        print(
            f"{op:26} {r['known_median_ms']:9.2f} {r['unknown_median_ms']:10.2f} "
            f"{r['train_test_accuracy']:10.0%} {r['best_threshold_accuracy']:6.0%}"
        )
    if args.json:
        args.json.write_text(json.dumps({"db": args.db, "pairs": args.pairs, **results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
