"""Bounded cost per request: no SOAP multi-reference expansion (spyne's path and the short path
alike), a worker's memory bounded for any request under the body cap."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from recovery_soap.soap.edge import SOAP11, SOAP12
from scripts.request_memory import MULTI_REFERENCE, hostile_envelopes, multi_reference
from tests.conftest import LiveServer
from tests.served import served
from tests.soap.test_http_edge import assert_client_fault
from tests.support import SERVICE_PATH, SOAP11_NS, SOAP12_NS, envelope, post_envelope

SOAP_VERSIONS = [pytest.param(False, id="soap11"), pytest.param(True, id="soap12")]
MiB = 1024 * 1024


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
@pytest.mark.parametrize("where", ["header", "body", "argument"])
def test_multi_reference_envelope_is_refused(live: LiveServer, where: str, soap12: bool) -> None:
    body = multi_reference(text_bytes=1000, references=3, where=where, soap12=soap12)
    media = SOAP12 if soap12 else SOAP11
    assert live.app.soap._short.recognise(body, media, media) is None
    answer = post_envelope(live.url, body, auth=live.auth, soap12=soap12)
    # A well-formed request's Client fault: HTTP 500 in SOAP 1.1, 400 (Sender) in SOAP 1.2.
    assert answer.status_code == (400 if soap12 else 500)
    fault = assert_client_fault(answer, soap12=soap12)
    assert b"reference" in answer.content.lower(), answer.text
    assert fault is not None


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
def test_ids_without_references_are_harmless(live: LiveServer, soap12: bool) -> None:
    """An id alone points at nothing: the request is answered as any other."""
    body = envelope("getAllChallengeQuestions", soap12=soap12).replace(
        "<soapenv:Header/>", "<soapenv:Header><x:h xmlns:x='urn:x' id='a'>1</x:h></soapenv:Header>"
    )
    answer = post_envelope(live.url, body, auth=live.auth, soap12=soap12)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
@pytest.mark.parametrize("shape", ["many-header-entries", "many-attributes", "many-claims"])
def test_too_much_markup_is_a_client_fault(live: LiveServer, shape: str, soap12: bool) -> None:
    """Each element or attribute of a parsed tree costs far more than its bytes: a request with
    more markup than any legacy call has is refused before anything parses it."""
    body = hostile_envelopes(MiB)[shape]
    if soap12:
        body = body.replace(SOAP11_NS.encode(), SOAP12_NS.encode())
    answer = post_envelope(live.url, body, auth=live.auth, soap12=soap12)
    assert answer.status_code == 400
    assert_client_fault(answer, soap12=soap12)
    assert b"too much markup" in answer.content


def test_the_reported_expansion_is_refused_by_a_served_worker(
    database_url: str, tmp_path: Path
) -> None:
    """The reviewer's request: 200 KB behind id="a", 2,500 href="#a" (240 KB in all)."""
    with served(database_url, tmp_path) as server:
        warm_up(server.url, server.auth)
        server.reset_peak()
        before = server.rss()
        answer = post_envelope(server.url, MULTI_REFERENCE, auth=server.auth)
        growth = server.peak() - before
    assert answer.status_code == 500, answer.text[:300]  # SOAP 1.1: a Client fault's status
    assert_client_fault(answer, soap12=False)
    assert growth < 50 * MiB, f"the worker grew by {growth / MiB:.0f} MiB"


def test_no_request_under_the_cap_grows_a_worker_much(database_url: str, tmp_path: Path) -> None:
    """Every hostile shape of scripts/request-memory.py, each just under the 1 MiB body cap."""
    grown = {}
    with served(database_url, tmp_path) as server:
        warm_up(server.url, server.auth)
        for name, body in hostile_envelopes(MiB).items():
            assert len(body) <= MiB
            server.reset_peak()
            before = server.rss()
            answer = post_envelope(server.url, body, auth=server.auth)
            # answered or refused as the client's fault, never a Server fault
            refused = answer.status_code == 500 and b"Client" in answer.content
            assert answer.status_code < 500 or refused, (name, answer.text[:300])
            grown[name] = server.peak() - before
    # A generous bound: the target (and the measured figures) are far lower.
    assert max(grown.values()) < 100 * MiB, {k: f"{v / MiB:.0f} MiB" for k, v in grown.items()}


def warm_up(url: str, auth: tuple[str, str]) -> None:
    """Load every code path once, so growth measures the request, not first-use imports."""
    for operation in ("getAllChallengeQuestions", "getCaptcha"):
        for soap12 in (False, True):
            answer = post_envelope(
                url, envelope(operation, soap12=soap12), auth=auth, soap12=soap12
            )
            assert answer.status_code == 200, answer.text
    requests.get(url + "/healthz", timeout=10)


def test_an_over_long_user_name_is_answered_not_a_server_fault(live: LiveServer) -> None:
    """The audit record of a failure names the user as presented: PostgreSQL refused one longer
    than its column, and the request got 18013 instead of its answer."""
    inner = f"<ser:username>{'u' * 300}</ser:username>"
    answer = post_envelope(live.url, envelope("verifyUser", inner), auth=live.auth)
    assert answer.status_code == 200, answer.text
    assert b"18004" in answer.content, answer.text  # no captcha given


# --- recovery-soap serve: waitress's own body limit ----------------------------------------------


def _upload(url: str, headers: str, body: Iterator[bytes]) -> bytes:
    """Send a request without credentials on a raw socket, as far as the server lets it, and
    read the answer's status line (a server still reading waits for the rest: a timeout)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as connection:
        connection.sendall(
            f"POST {SERVICE_PATH} HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: text/xml; charset=utf-8\r\n{headers}\r\n".encode()
        )
        try:
            for chunk in body:
                connection.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: its answer is waiting
        return connection.recv(4096).split(b"\r\n")[0]


def _chunked(total: int) -> Iterator[bytes]:
    piece = b"x" * 65536
    for _ in range(total // len(piece)):
        yield b"%x\r\n%s\r\n" % (len(piece), piece)


def test_serve_refuses_an_oversized_body_before_reading_it(
    database_url: str, tmp_path: Path
) -> None:
    """waitress read up to 1 GiB before the application saw the request (and answered 401)."""
    with served(database_url, tmp_path) as server:
        declared = _upload(server.url, f"Content-Length: {150 * MiB}\r\n", iter([b"x" * 65536]))
        chunked = _upload(server.url, "Transfer-Encoding: chunked\r\n", _chunked(8 * MiB))
        at_the_cap = post_envelope(
            server.url, envelope("getAllChallengeQuestions").ljust(MiB), auth=server.auth
        )
    assert declared.startswith(b"HTTP/1.1 413"), declared
    assert chunked.startswith(b"HTTP/1.1 413"), chunked
    assert at_the_cap.status_code == 200, at_the_cap.text[:300]
