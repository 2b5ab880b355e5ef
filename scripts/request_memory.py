#!/usr/bin/env python3
"""Measure how much one hostile SOAP request under the body cap grows a served worker.

    python scripts/request_memory.py                       # SQLite in a temporary directory
    python scripts/request_memory.py --database-url postgresql+psycopg://postgres@127.0.0.1/test
    python scripts/request_memory.py --cap 1048576 --repeat 3

Starts `recovery-soap serve` (one process) in a subprocess, warms it up with ordinary calls,
then for each shape below: resets the process's peak resident size (/proc/PID/clear_refs, 5),
sends the request, and prints the peak's growth over the resident size just before it, with
the status the request got. Shapes are built just under the cap. The largest growth is the
figure the security notes quote (target: under 50 MB).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
SERVICE_NS = "http://services.mgt.identity.carbon.wso2.org"
XSD_NS = "http://dto.mgt.identity.carbon.wso2.org/xsd"
SERVICE_PATH = "/services/UserInformationRecoveryService"
ACCOUNT = ("memory-probe", "memory-probe-secret-0123456789")
MiB = 1024 * 1024
#: soap/envelope.py's bound on "<" and "=" in a request
MAX_TAGS = 20_000


def _envelope(operation: str, inner: str = "", header: str = "", soap12: bool = False) -> bytes:
    env_ns = SOAP12_NS if soap12 else SOAP11_NS
    return (
        f'<soapenv:Envelope xmlns:soapenv="{env_ns}" xmlns:ser="{SERVICE_NS}" '
        f'xmlns:xsd="{XSD_NS}"><soapenv:Header>{header}</soapenv:Header><soapenv:Body>'
        f"<ser:{operation}>{inner}</ser:{operation}></soapenv:Body></soapenv:Envelope>"
    ).encode()


def _fill(budget: int, build: Callable[[int], bytes]) -> bytes:
    """The largest ``build(n)`` that fits in ``budget`` bytes (build grows with n)."""
    low, high = 0, 1
    while len(build(high)) <= budget:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if len(build(middle)) <= budget else (low, middle)
    return build(low)


def multi_reference(
    *, text_bytes: int, references: int, where: str = "header", soap12: bool = False
) -> bytes:
    """A SOAP-encoding multi-reference: one element with id="a", ``references`` href="#a"."""
    target = f'<x:blob xmlns:x="urn:x" id="a">{"A" * text_bytes}</x:blob>'
    pointers = '<x:r xmlns:x="urn:x" href="#a"/>' * references
    if where == "header":
        return _envelope("getAllChallengeQuestions", header=target + pointers, soap12=soap12)
    if where == "body":
        return _envelope("getAllChallengeQuestions", header=target, soap12=soap12).replace(
            b"<soapenv:Body>", b'<soapenv:Body href="#a">'
        )
    inner = f'<ser:username href="#a"/>{pointers}'
    return _envelope("verifyUser", inner, header=target, soap12=soap12)


#: The reviewer's request: 200 KB behind id="a" and 2,500 references to it (240 KB in all).
MULTI_REFERENCE = multi_reference(text_bytes=200_000, references=2500)


def hostile_envelopes(cap: int) -> dict[str, bytes]:
    """Requests that cost much for their size, each just under ``cap`` bytes."""
    answer = (
        "<ser:userChallengesDTOs><xsd:answer>a</xsd:answer>"
        "<xsd:id>http://wso2.org/claims/challengeQuestion1</xsd:id></ser:userChallengesDTOs>"
    )
    claim = (
        "<ser:claims><xsd:claimUri>http://wso2.org/claims/emailaddress</xsd:claimUri>"
        "<xsd:claimValue>a@example.test</xsd:claimValue></ser:claims>"
    )
    return {
        "multi-reference": _fill(cap, lambda n: multi_reference(text_bytes=cap // 2, references=n)),
        "multi-reference-chain": _fill(
            cap,
            lambda n: _envelope(
                "getAllChallengeQuestions",
                header="".join(
                    f'<x:e xmlns:x="urn:x" id="i{i}"><x:a href="#i{i + 1}"/><x:b href="#i{i + 1}"/>'
                    "</x:e>"
                    for i in range(n)
                ),
            ),
        ),
        "many-header-entries": _fill(
            cap, lambda n: _envelope("getAllChallengeQuestions", header="<h/>" * n)
        ),
        "many-attributes": _fill(
            cap,
            lambda n: _envelope(
                "getAllChallengeQuestions",
                header="<h " + " ".join(f"a{i}='1'" for i in range(n)) + "/>",
            ),
        ),
        "many-namespaces": _fill(
            cap,
            lambda n: _envelope(
                "getAllChallengeQuestions",
                header="<h " + " ".join(f"xmlns:p{i}='urn:{i}'" for i in range(n)) + "/>",
            ),
        ),
        "deep-nesting": _fill(
            cap,
            lambda n: _envelope("getAllChallengeQuestions", header="<d>" * n + "</d>" * n),
        ),
        "character-references": _fill(
            cap,
            lambda n: _envelope(
                "verifyUser", "<ser:username>" + "&#x10348;" * n + "</ser:username>"
            ),
        ),
        "long-username": _fill(
            cap, lambda n: _envelope("verifyUser", f"<ser:username>{'u' * n}</ser:username>")
        ),
        "many-answers": _fill(
            cap,
            lambda n: _envelope(
                "verifyUserChallengeAnswers",
                "<ser:userName>nobody</ser:userName><ser:confirmation>k</ser:confirmation>"
                + answer * n,
            ),
        ),
        "many-claims": _fill(
            cap,
            lambda n: _envelope("verifyAccount", claim * n + "<ser:tenantDomain/>"),
        ),
        "many-comments": _fill(
            cap, lambda n: _envelope("getAllChallengeQuestions", header="<!--c-->" * n)
        ),
        # The same, held just under the markup bounds (soap/envelope.py) and filled up with text.
        "header-entries-at-bound": _padded(cap, "<h/>" * (MAX_TAGS - 50)),
        "attributes-at-bound": _padded(
            cap, "<h " + " ".join(f"a{i}='1'" for i in range(MAX_TAGS - 50)) + "/>"
        ),
        "multi-reference-at-bound": _padded(
            cap,
            '<x:r xmlns:x="urn:x" href="#a"/>' * (MAX_TAGS // 2 - 50),
            '<x:blob xmlns:x="urn:x" id="a">{}</x:blob>',
        ),
    }


def _padded(cap: int, markup: str, filler: str = "<t>{}</t>") -> bytes:
    """``markup`` in the Header, and text up to ``cap`` bytes in one more element."""
    return _fill(
        cap,
        lambda n: _envelope("getAllChallengeQuestions", header=filler.format("A" * n) + markup),
    )


# --- the measurement ---------------------------------------------------------------------------


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} for {pid}")


def _post(url: str, body: bytes) -> int:
    import requests

    answer = requests.post(
        url + SERVICE_PATH,
        data=body,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        auth=ACCOUNT,
        timeout=600,
    )
    return answer.status_code


def _start(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    import requests

    env = {
        **os.environ,
        "RECOVERY_DATABASE_URL": database_url,
        "RECOVERY_RATE_LIMITS": "off",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "recovery_soap.cli", "serve", "--port", str(port)]
        + ["--bootstrap-account", ":".join(ACCOUNT)],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(600):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"the server did not come up; see {log}")


def _warm_up(url: str) -> None:
    for operation in ("getAllChallengeQuestions", "getCaptcha", "verifyUser"):
        inner = "<ser:username>nobody</ser:username>" if operation == "verifyUser" else ""
        _post(url, _envelope(operation, inner))


def _measure(pid: int, url: str, body: bytes) -> tuple[int, int]:
    """The request's status and the peak resident size's growth over the size before it."""
    before = _status(pid, "VmRSS")
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    status = _post(url, body)
    return status, _status(pid, "VmHWM") - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    parser.add_argument("--cap", type=int, default=MiB, help="body size to fill (the cap)")
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--repeat", type=int, default=1, help="requests per shape")
    args = parser.parse_args()
    largest = 0
    print(f"{'shape':24} {'bytes':>9} {'status':>6} {'growth MiB':>10}")
    with tempfile.TemporaryDirectory() as directory:
        database_url = args.database_url or f"sqlite:///{directory}/memory.db"
        url = f"http://127.0.0.1:{args.port}"
        for name, body in hostile_envelopes(args.cap).items():
            # A fresh process per shape: memory one shape left free would hide the next's growth.
            process = _start(database_url, args.port, Path(directory) / "serve.log")
            try:
                _warm_up(url)
                for _ in range(args.repeat):
                    status, growth = _measure(process.pid, url, body)
                    largest = max(largest, growth)
                    print(f"{name:24} {len(body):9d} {status:6d} {growth / MiB:10.1f}", flush=True)
            finally:
                process.terminate()
                process.wait(timeout=20)
    print(f"largest growth: {largest / MiB:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
