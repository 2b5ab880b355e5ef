"""Mutated envelopes (hypothesis): every answer is a SOAP response or a SOAP fault, never a
5xx without a SOAP body, never a trace of the implementation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.conftest import LiveServer
from tests.support import envelope, post_envelope

SEEDS = [
    envelope("getAllChallengeQuestions"),
    envelope(
        "verifyUser",
        "<ser:username>fuzz</ser:username><ser:captcha>"
        "<xsd:secretKey>k</xsd:secretKey><xsd:userAnswer>a</xsd:userAnswer></ser:captcha>",
        extra_ns='xmlns:xsd="http://beans.mgt.captcha.carbon.wso2.org/xsd"',
    ),
    envelope(
        "verifyUserChallengeAnswers",
        "<ser:userName>fuzz</ser:userName><ser:confirmation>c</ser:confirmation>"
        "<ser:userChallengesDTOs><xsd:answer>a</xsd:answer><xsd:id>q</xsd:id>"
        "<xsd:order>0</xsd:order></ser:userChallengesDTOs>",
        extra_ns='xmlns:xsd="http://dto.mgt.identity.carbon.wso2.org/xsd"',
    ),
    envelope("registerUser", "<ser:userName>fuzz</ser:userName><ser:password>x</ser:password>"),
    envelope(
        "getUserIdentitySupportedClaims",
        "<ser:dialect>http://wso2.org/claims</ser:dialect>",
        soap12=True,
    ),
]
LEAKS = (b"Traceback", b'File "', b"sqlalchemy", b"recovery_soap", b"psycopg", b"site-packages")


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, bool]:
    seed = draw(st.sampled_from(SEEDS))
    soap12 = "2003/05/soap-envelope" in seed
    data = bytearray(seed.encode())
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "duplicate", "delete"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [
                        b"<",
                        b">",
                        b"&",
                        b"&amp;",
                        b"]]>",
                        b"<x>",
                        b"</ser:verifyUser>",
                        b"\x00",
                        b"<!--",
                        b"<![CDATA[",
                        "\u00e9\u4e2d".encode(),
                        b"<?pi x?>",
                        b'"',
                        b"xmlns:a=",
                    ]
                )
            )
        elif kind == "duplicate":
            end = draw(st.integers(at, len(data)))
            data[at:at] = data[at:end]
        elif kind == "delete":
            end = draw(st.integers(at, min(len(data), at + 40)))
            del data[at:end]
    return bytes(data), soap12


def is_soap(content: bytes) -> bool:
    try:
        root = etree.fromstring(content)
    except etree.XMLSyntaxError:
        return False
    return root.tag.endswith("}Envelope") and root.find("{*}Body") is not None


#: HTTP statuses of the answers, for the run's report (printed with pytest -s).
STATUSES: Counter[int] = Counter()


@pytest.fixture
def fuzz_server(serve) -> Iterator[LiveServer]:
    # Built once per test function; hypothesis runs every example against it.
    yield serve(captcha_verification="off", rate_limits="off")
    print(f"\nfuzz: {sum(STATUSES.values())} mutated envelopes, statuses {dict(STATUSES)}")


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=mutated())
def test_mutated_envelopes_get_soap_answers_without_internals(
    fuzz_server: LiveServer, case: tuple[bytes, bool]
) -> None:
    body, soap12 = case
    answer = post_envelope(fuzz_server.url, body, auth=fuzz_server.auth, soap12=soap12)
    STATUSES[answer.status_code] += 1
    for leak in LEAKS:
        assert leak not in answer.content
    # Malformed requests are the client's fault: a Client/Sender SOAP fault, on 400 when the
    # body is no envelope (or over SOAP 1.2), on 500 over SOAP 1.1 otherwise (WS-I R1126).
    assert answer.status_code in (200, 400, 413, 500), answer.content[:300]
    if answer.status_code in (400, 500):
        assert is_soap(answer.content) and b"Fault" in answer.content
    if answer.status_code == 500:
        assert not soap12 and b"Client" in answer.content, answer.content[:300]
