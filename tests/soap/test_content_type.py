"""One reading of Content-Type for the short path and spyne: a charset named twice is refused
alike on both, and the same bytes never decode two ways."""

from __future__ import annotations

import pytest

from recovery_soap.soap.content_type import AmbiguousContentType, parse_content_type
from recovery_soap.soap.edge import SOAP11
from tests.conftest import LiveServer
from tests.soap.test_http_edge import assert_client_fault
from tests.support import envelope, post_envelope

#: verifyUser (a short-path operation) for a name that reads differently in the two charsets.
NAME = "j\xfcrgen"
BODY = envelope("verifyUser", f"<ser:username>{NAME}</ser:username>").encode("utf-8")


def _both_paths(live: LiveServer, monkeypatch: pytest.MonkeyPatch, content_type: str) -> list:
    short = post_envelope(live.url, BODY, auth=live.auth, content_type=content_type)
    monkeypatch.setattr(live.app.soap._short, "recognise", lambda *args: None)
    spyne = post_envelope(live.url, BODY, auth=live.auth, content_type=content_type)
    monkeypatch.undo()
    return [short, spyne]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/xml; charset=utf-8; charset=iso-8859-1",
        "text/xml; charset=iso-8859-1; charset=utf-8",
        "text/xml; charset=utf-8; charset=utf-8",
        'text/xml; Charset="UTF-8"; CHARSET=latin-1',
    ],
)
def test_a_charset_named_twice_is_refused_on_both_paths(
    external: LiveServer, monkeypatch: pytest.MonkeyPatch, content_type: str
) -> None:
    answers = _both_paths(external, monkeypatch, content_type)
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert_client_fault(answer, soap12=False)
        assert b"charset more than once" in answer.content
        assert NAME.encode() not in answer.content and b"j\xc3\x83\xc2\xbc" not in answer.content
    assert answers[0].content == answers[1].content


@pytest.mark.parametrize(
    "content_type", ["text/xml; charset=utf-8", 'text/xml; charset="UTF-8"', "text/xml"]
)
def test_one_charset_reads_alike_on_both_paths(
    external: LiveServer, monkeypatch: pytest.MonkeyPatch, content_type: str
) -> None:
    short, spyne = _both_paths(external, monkeypatch, content_type)
    assert short.status_code == spyne.status_code == 200
    assert NAME.encode() in short.content and NAME.encode() in spyne.content


def test_the_short_path_reads_the_charset_as_the_front_does(live: LiveServer) -> None:
    recognise = live.app.soap._short.recognise
    assert recognise(BODY, 'text/xml; charset="utf-8"', SOAP11) is not None
    assert recognise(BODY, "text/xml; charset=utf-8; charset=iso-8859-1", SOAP11) is None
    assert parse_content_type("text/xml; charset=UTF-8; a=b").header() == (
        'text/xml; charset="utf-8"; a="b"'
    )


def test_a_remembered_reading_refuses_an_ambiguous_header_every_time() -> None:
    header = "text/xml; charset=utf-8; charset=iso-8859-1"
    for _ in range(2):
        with pytest.raises(AmbiguousContentType):
            parse_content_type(header)
    assert parse_content_type("text/xml; charset=UTF-8") is parse_content_type(
        "text/xml; charset=UTF-8"
    )  # one reading per header text
