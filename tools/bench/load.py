"""Load by the built-in generator: processes with one keep-alive connection each, started
together by a barrier; also the e-mail recovery flow, which needs per-flow state."""

from __future__ import annotations

import http.client
import multiprocessing
import random
import re
import time
from array import array
from collections.abc import Callable
from typing import Any

from tools.bench.envelopes import (
    CLAIMS_BODY,
    NEW_PASSWORD,
    QUESTIONS_BODY,
    SERVICE_PATH,
    el,
    envelope,
    excerpt,
    register_body,
    response_ok,
    user_name,
    verify_user_body,
)

VALUE = re.compile(rb"<(?:[\w.-]+:)?(key|notificationCode)>([^<]+)</")


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
    steps: tuple[tuple[str, Callable[[str], str], bytes | None], ...] = (
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


def _pool_init(barrier: Any) -> None:
    """Every pool process takes exactly one job per run: each waits for all the others."""
    global _BARRIER
    _BARRIER = barrier


def one_request(
    client: Client, job: dict[str, Any], rng: random.Random, count: int
) -> tuple[bool, str]:
    """One call of a single-request scenario, checked."""
    scenario = job["scenario"]
    if scenario == "verify-user":
        body = verify_user_body(user_name(rng.randint(1, job["users"])))
    elif scenario == "register":
        body = register_body(f"r{job['run_id']}-b{job['index']}-{count}")
    elif scenario == "claims":
        body = CLAIMS_BODY
    else:
        body = QUESTIONS_BODY
    status, answer = client.post(body)
    return response_ok(scenario, status, answer), f"{status}: {excerpt(answer)}"


def _builtin_worker(job: dict[str, Any]) -> dict[str, Any]:
    index, slots = job["index"], job["slots"]
    _BARRIER.wait(timeout=60)
    rng = random.Random(job["seed"] + index)
    client = Client(job["port"], job["auth"])
    latencies = array("d")
    errors, count = 0, 0
    samples: list[str] = []
    flow_user = index + 1  # this process's users for flows: index+1, index+1+slots, ...
    while time.monotonic() < job["start_at"]:
        time.sleep(0.001)
    deadline = job["start_at"] + job["duration"]
    last = job["start_at"]
    while True:
        began = time.monotonic()
        if began >= deadline:
            break
        if job["scenario"] == "recovery-flow":
            ok, why = recovery_flow(client, user_name(flow_user))
            flow_user += slots
            if flow_user > job["users"]:
                flow_user = index + 1
        else:
            ok, why = one_request(client, job, rng, count)
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
