"""A database outage: operations answer a Server fault quickly, /readyz says not ready while
/healthz stays up, and the service recovers by itself when the database returns."""

from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
import zeep

from tests.conftest import BACKEND
from tests.reliability.tcp_proxy import TcpProxy
from tests.support import envelope, post_envelope

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="needs a networked database")


@pytest.fixture
def proxy(database_url: str):
    parts = urlsplit(database_url)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    proxy.start()
    netloc = parts.netloc.replace(f":{parts.port or 5432}", f":{proxy.port}")
    yield proxy, urlunsplit(parts._replace(netloc=netloc))
    proxy.stop()


def test_outage_gives_a_fast_server_fault_and_the_service_recovers(serve, proxy) -> None:
    tcp, url = proxy
    live = serve(database_url=url)
    service = live.client()
    assert len(service.getAllChallengeQuestions()) == 8

    tcp.stop()
    started = time.monotonic()
    answer = post_envelope(live.url, envelope("getAllChallengeQuestions"), auth=live.auth)
    elapsed = time.monotonic() - started
    assert answer.status_code in (500, 503)
    assert b"Fault" in answer.content and b"temporarily unavailable" in answer.content
    assert b"Traceback" not in answer.content
    assert elapsed < 10
    with pytest.raises(zeep.exceptions.Fault):
        service.getAllChallengeQuestions()
    assert requests.get(live.url + "/readyz", timeout=10).status_code == 503
    assert requests.get(live.url + "/healthz", timeout=10).status_code == 200

    tcp.start()  # the same port again
    assert requests.get(live.url + "/readyz", timeout=10).status_code == 200
    assert len(service.getAllChallengeQuestions()) == 8
