"""The catalogue operations' short path (soap/short_path.py): the same bytes, checks and records as
the full spyne path, fresh data on every call, and everything unusual left to spyne."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from sqlalchemy import text

from recovery_soap import observe
from recovery_soap.core import admin, challenges
from recovery_soap.core.errors import Unavailable
from recovery_soap.core.model import Question
from recovery_soap.soap.edge import SOAP11, SOAP12
from tests.conftest import LiveServer, unique
from tests.soap.accounts import new_tenant, service_account
from tests.soap.flows import claims_for, register_confirmed
from tests.support import envelope, post_envelope

DIALECT = "http://wso2.org/claims"
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
PLAIN = {
    "questions": envelope("getAllChallengeQuestions"),
    "questions-pretty": envelope("getAllChallengeQuestions", "\n    "),
    "questions-no-header": envelope("getAllChallengeQuestions").replace("<soapenv:Header/>", ""),
    "claims": envelope("getUserIdentitySupportedClaims", f"<ser:dialect>{DIALECT}</ser:dialect>"),
    "claims-other-dialect": envelope(
        "getUserIdentitySupportedClaims", "<ser:dialect> elsewhere </ser:dialect>"
    ),
    "claims-nil": envelope(
        "getUserIdentitySupportedClaims", f"<ser:dialect {XSI} xsi:nil='true'/>"
    ),
    "claims-no-dialect": envelope("getUserIdentitySupportedClaims"),
}


def _envelope(body: str, soap12: bool) -> str:
    if not soap12:
        return body
    return body.replace(
        "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope"
    )


def _post(
    live: LiveServer, body: str, soap12: bool = False, auth: tuple[str, str] | None = None
) -> requests.Response:
    return post_envelope(live.url, _envelope(body, soap12), auth=auth or live.auth, soap12=soap12)


def _add_question(live: LiveServer, tenant: str, set_id: str, text: str) -> None:
    with live.app.env.uow() as uow:  # as `recovery-soap questions add` does
        admin.add_question(uow, tenant, Question(set_id=f"{DIALECT}/{set_id}", question=text))
        uow.commit()


def _comparable(answer: requests.Response) -> tuple[int, bytes, dict[str, str]]:
    headers = {
        k.lower(): v for k, v in answer.headers.items() if k.lower() not in ("x-request-id", "date")
    }
    return answer.status_code, answer.content, headers


@pytest.mark.parametrize("soap12", [False, True], ids=["soap11", "soap12"])
@pytest.mark.parametrize("name", sorted(PLAIN))
def test_short_path_answers_byte_for_byte_as_spyne(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch, name: str, soap12: bool
) -> None:
    catalogue = live.app.soap._short
    media = SOAP12 if soap12 else SOAP11
    body = _envelope(PLAIN[name], soap12)
    assert catalogue.recognise(body.encode(), media, media) is not None
    first, cached = _post(live, PLAIN[name], soap12), _post(live, PLAIN[name], soap12)
    monkeypatch.setattr(catalogue, "recognise", lambda *args: None)
    reference = _post(live, PLAIN[name], soap12)
    assert reference.status_code == 200
    assert _comparable(first) == _comparable(cached) == _comparable(reference)
    assert first.headers["X-Request-Id"] != cached.headers["X-Request-Id"]


UNUSUAL = {
    "doctype": '<!DOCTYPE x [<!ENTITY e "v">]>' + PLAIN["questions"],
    "header-entry": PLAIN["questions"].replace(
        "<soapenv:Header/>", "<soapenv:Header><h:x xmlns:h='urn:h'>1</h:x></soapenv:Header>"
    ),
    "envelope-attribute": PLAIN["questions"].replace(
        "<soapenv:Envelope ", "<soapenv:Envelope soapenv:encodingStyle='urn:x' "
    ),
    "body-attribute": PLAIN["questions"].replace("<soapenv:Body>", "<soapenv:Body id='b'>"),
    "argument-to-no-argument": envelope("getAllChallengeQuestions", "<ser:dialect>x</ser:dialect>"),
    "text-in-operation": envelope("getAllChallengeQuestions", "text"),
    "two-dialects": envelope(
        "getUserIdentitySupportedClaims", "<ser:dialect>a</ser:dialect><ser:dialect>b</ser:dialect>"
    ),
    "dialect-attribute": envelope(
        "getUserIdentitySupportedClaims", "<ser:dialect ser:x='1'>a</ser:dialect>"
    ),
    "unqualified-dialect": envelope("getUserIdentitySupportedClaims", "<dialect>a</dialect>"),
    "two-operations": PLAIN["questions"].replace(
        "</soapenv:Body>", "<ser:getAllChallengeQuestions/></soapenv:Body>"
    ),
    "other-operation": envelope("getCaptcha"),
    "not-xml": PLAIN["questions"][:-10],
}


@pytest.mark.parametrize("name", sorted(UNUSUAL))
def test_unusual_requests_are_left_to_spyne(live: LiveServer, name: str) -> None:
    catalogue = live.app.soap._short
    assert catalogue.recognise(UNUSUAL[name].encode(), SOAP11, SOAP11) is None


@pytest.mark.parametrize(
    ("content_type", "body", "media"),
    [
        ("text/xml; charset=ISO-8859-1", PLAIN["questions"], SOAP11),
        ("text/xml", _envelope(PLAIN["questions"], soap12=True), SOAP11),
        ("application/soap+xml", PLAIN["questions"], SOAP12),
        (
            "text/xml; charset=utf-8",  # Latin-1 bytes, declared so only inside the document
            "<?xml version='1.0' encoding='ISO-8859-1'?>"
            + envelope("verifyUser", "<ser:username>j\xfcrgen</ser:username>"),
            SOAP11,
        ),
    ],
    ids=["other-charset", "soap12-envelope-as-soap11", "soap11-envelope-as-soap12", "not-utf-8"],
)
def test_other_charsets_and_mismatched_versions_are_left_to_spyne(
    live: LiveServer, content_type: str, body: str, media: str
) -> None:
    data = body.encode("latin-1") if "ISO-8859-1" in body else body.encode()
    assert live.app.soap._short.recognise(data, content_type, media) is None


def test_a_question_added_meanwhile_is_in_the_next_answer(live: LiveServer) -> None:
    tenant = new_tenant(live)  # the database is shared: add questions to a tenant of its own
    auth = service_account(live, tenant)
    before = _post(live, PLAIN["questions"], auth=auth)
    text = f"Added by the CLI {unique()} ?"
    _add_question(live, tenant, "challengeQuestion1", text)
    after = _post(live, PLAIN["questions"], auth=auth)
    assert text.encode() not in before.content
    assert text.encode() in after.content


def test_short_path_still_refuses_wrong_credentials(live: LiveServer) -> None:
    assert _post(live, PLAIN["questions"]).status_code == 200  # the answer is now cached
    answer = post_envelope(live.url, PLAIN["questions"], auth=(live.auth[0], "wrong-secret-123"))
    assert answer.status_code == 401
    assert b"questionSetId" not in answer.content


def _calls(operation: str, outcome: str) -> float:
    return float(observe.REQUESTS.labels(operation, outcome)._value.get())


def test_cached_answers_are_recorded_like_any_call(live: LiveServer, caplog) -> None:
    _post(live, PLAIN["questions"])
    before = _calls("getAllChallengeQuestions", "ok")
    with caplog.at_level("INFO", logger="recovery_soap.calls"):
        caplog.clear()
        answers = [_post(live, PLAIN["questions"]) for _ in range(3)]
    assert _calls("getAllChallengeQuestions", "ok") == before + 3
    records = [
        r for r in caplog.records if getattr(r, "operation", None) == "getAllChallengeQuestions"
    ]
    assert [r.request_id for r in records] == [a.headers["X-Request-Id"] for a in answers]
    assert {(r.outcome, r.tenant, r.caller) for r in records} == {
        ("ok", "carbon.super", live.auth[0])
    }


def test_core_runs_once_per_call_hit_or_miss(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    original = challenges.all_questions

    def counted(env: Any, caller: Any) -> Any:
        calls.append(caller)
        return original(env, caller)

    monkeypatch.setattr(challenges, "all_questions", counted)
    tenant = new_tenant(live)
    auth = service_account(live, tenant)
    text = f"Fresh {unique()} ?"  # a catalogue never answered before: the first call misses
    _add_question(live, tenant, "challengeQuestion2", text)
    assert text.encode() in _post(live, PLAIN["questions"], auth=auth).content
    assert len(calls) == 1
    assert text.encode() in _post(live, PLAIN["questions"], auth=auth).content
    assert len(calls) == 2


def test_a_failing_database_gives_the_usual_fault_once(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts = []

    def unreachable(env: Any, caller: Any) -> Any:
        attempts.append(caller)
        raise Unavailable("the database is unreachable")

    _post(live, PLAIN["questions"])  # cached: the cache must not hide the outage
    monkeypatch.setattr(challenges, "all_questions", unreachable)
    before = _calls("getAllChallengeQuestions", "unavailable")
    answer = _post(live, PLAIN["questions"])
    assert answer.status_code == 500
    assert b"temporarily unavailable" in answer.content and b"Fault" in answer.content
    assert len(attempts) == 1
    assert _calls("getAllChallengeQuestions", "unavailable") == before + 1


# --- verifyUser -----------------------------------------------------------------------------

KEY = re.compile(rb"<([\w.-]+):key>[0-9a-f-]{36}</\1:key>")


def _verify(name: str) -> str:
    return envelope("verifyUser", f"<ser:username>{name}</ser:username>")


def _without_key(answer: requests.Response) -> tuple[int, bytes, dict[str, str]]:
    status, body, headers = _comparable(answer)
    return status, KEY.sub(b"<key/>", body), headers


def _user(live: LiveServer, name: str) -> str:
    register_confirmed(live, live.client(), name, claims_for(name))
    return name


@pytest.mark.parametrize("soap12", [False, True], ids=["soap11", "soap12"])
@pytest.mark.parametrize(
    "make_name",
    [
        lambda: unique(),
        lambda: f"ünïcødé_{unique()}",
        lambda: f"a&amp;b_{unique()}",  # a&b: escaped in the answer, so spyne writes it
        lambda: f"mail_{unique()}@example.org",
    ],
    ids=["plain", "non-ascii", "escaped", "e-mail-like"],
)
def test_verify_user_short_answer_is_spyne_answer(
    external: LiveServer, monkeypatch: pytest.MonkeyPatch, make_name: Any, soap12: bool
) -> None:
    name = make_name()
    _user(external, name.replace("&amp;", "&"))
    answers = [_post(external, _verify(name), soap12) for _ in range(3)]
    monkeypatch.setattr(external.app.soap._short, "recognise", lambda *args: None)
    reference = _post(external, _verify(name), soap12)
    assert reference.status_code == 200 and b"verified>true<" in reference.content
    for answer in answers:
        assert _without_key(answer) == _without_key(reference)
    keys = {KEY.search(a.content).group(0) for a in [*answers, reference]}  # type: ignore[union-attr]
    assert len(keys) == 4  # a new key each time


@pytest.mark.parametrize(
    "settings", [{}, {"hide_user_existence": True}], ids=["default", "hide-user-existence"]
)
def test_verify_user_failures_answer_as_spyne(
    serve: Any, monkeypatch: pytest.MonkeyPatch, settings: dict[str, Any]
) -> None:
    live = serve(captcha_verification="off", notification_sending="external", **settings)
    body = _verify(unique("nobody"))
    short = [_post(live, body) for _ in range(2)]
    monkeypatch.setattr(live.app.soap._short, "recognise", lambda *args: None)
    reference = _post(live, body)
    for answer in short:
        assert _without_key(answer) == _without_key(reference)


def test_verify_user_short_path_runs_the_use_case_once(external: LiveServer) -> None:
    name = _user(external, unique())
    for _ in range(3):  # the first answer teaches the template, the others use it
        before = _calls("verifyUser", "ok")
        with external.app.engine.connect() as connection:
            started = connection.execute(
                text("SELECT count(*) FROM audit_events WHERE username = :n AND event = :e"),
                {"n": name, "e": "recovery_started"},
            ).scalar_one()
        answer = _post(external, _verify(name))
        assert b"verified>true<" in answer.content
        assert _calls("verifyUser", "ok") == before + 1
        with external.app.engine.connect() as connection:
            after = connection.execute(
                text("SELECT count(*) FROM audit_events WHERE username = :n AND event = :e"),
                {"n": name, "e": "recovery_started"},
            ).scalar_one()
        assert after == started + 1
    assert SOAP11 in external.app.soap._short._templates  # the later answers were filled in


def test_verify_user_key_from_the_short_path_continues_the_flow(external: LiveServer) -> None:
    name = _user(external, unique())
    for _ in range(2):
        _post(external, _verify(name))
    answer = _post(external, _verify(name))
    key = re.search(rb":key>([0-9a-f-]{36})<", answer.content).group(1).decode()  # type: ignore[union-attr]
    bean = external.client().sendRecoveryNotification(
        username=name, key=key, notificationType="EMAIL"
    )
    assert bean.verified, bean.error


@pytest.mark.parametrize(
    "inner",
    [
        "<ser:username>x</ser:username><ser:captcha/>",
        "<ser:username/>",
        f"<ser:username {XSI} xsi:nil='true'/>",
        "",
        "<ser:username a='1'>x</ser:username>",
    ],
    ids=["with-captcha", "empty-name", "nil-name", "no-name", "attribute"],
)
def test_unusual_verify_user_requests_are_left_to_spyne(live: LiveServer, inner: str) -> None:
    body = envelope("verifyUser", inner).encode()
    assert live.app.soap._short.recognise(body, SOAP11, SOAP11) is None


S11 = "http://schemas.xmlsoap.org/soap/envelope/"
VARIANTS = {
    "other-prefixes": f'<e:Envelope xmlns:e="{S11}"><e:Body>'
    '<x:getAllChallengeQuestions xmlns:x="http://services.mgt.identity.carbon.wso2.org"/>'
    "</e:Body></e:Envelope>",
    "default-namespace": f'<Envelope xmlns="{S11}"><Body><getAllChallengeQuestions '
    'xmlns="http://services.mgt.identity.carbon.wso2.org"/></Body></Envelope>',
    "xml-declaration": "<?xml version='1.0' encoding='UTF-8'?>" + PLAIN["questions"],
    "byte-order-mark": "\ufeff" + PLAIN["questions"],
    "comment": PLAIN["questions"].replace("<soapenv:Body>", "<soapenv:Body><!-- c -->"),
    "processing-instruction": PLAIN["questions"].replace("<soapenv:Body>", "<soapenv:Body><?p x?>"),
    "whitespace-everywhere": PLAIN["questions"].replace("><", ">\n  <"),
    "cdata-dialect": envelope(
        "getUserIdentitySupportedClaims", f"<ser:dialect><![CDATA[{DIALECT}]]></ser:dialect>"
    ),
    "entity-in-dialect": envelope(
        "getUserIdentitySupportedClaims",
        "<ser:dialect>http://wso2.org/claims&#47;</ser:dialect>",
    ),
    "spaces-around-name": _verify("  {name}  "),
    "entity-in-name": _verify("{name}&#x20;"),
    "cdata-name": _verify("<![CDATA[{name}]]>"),
    "unknown-name": _verify("nobody-{name}"),
    "name-and-tenant": _verify("{name}@carbon.super"),
    "name-with-newline": _verify("{name}&#10;"),
    "empty-header-with-space": PLAIN["questions"].replace(
        "<soapenv:Header/>", "<soapenv:Header> </soapenv:Header>"
    ),
    "extra-namespace-declarations": PLAIN["questions"].replace(
        "<soapenv:Envelope ", '<soapenv:Envelope xmlns:u="urn:unused" '
    ),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_whatever_the_short_path_takes_it_answers_as_spyne(
    external: LiveServer, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Differential: a request either goes to spyne, or gets spyne's answer (keys aside)."""
    user = _user(external, unique())
    body = VARIANTS[name].replace("{name}", user)
    for _ in range(2):  # the second answer comes from what the first one taught
        short = _post(external, body)
    monkeypatch.setattr(external.app.soap._short, "recognise", lambda *args: None)
    reference = _post(external, body)
    assert _without_key(short) == _without_key(reference)
