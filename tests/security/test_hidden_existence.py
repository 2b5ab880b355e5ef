"""With hide_user_existence on, no answer of any face tells a known user from an unknown one: not
after the user's recovery is locked by failures, not after its mail limit is reached. Answers
are compared as raw bytes (SOAP envelopes, subscriber JSON), the name and random keys masked."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.conftest import LiveServer, unique
from tests.rest.support import service_token, subscriber_call
from tests.soap.flows import confirmed_user
from tests.support import post_envelope

EMAIL_CLAIM = "http://wso2.org/claims/emailaddress"
HIDING = {"captcha_verification": "off", "hide_user_existence": True}
KEY = re.compile(rb"(<[\w.]*:?key>)[^<]*(</)")


def soap(live: LiveServer, operation: str, inner: str) -> bytes:
    body = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:ser="http://services.mgt.identity.carbon.wso2.org" '
        'xmlns:xsd="http://dto.mgt.identity.carbon.wso2.org/xsd">'
        f"<soapenv:Header/><soapenv:Body><ser:{operation}>{inner}</ser:{operation}>"
        "</soapenv:Body></soapenv:Envelope>"
    )
    response = post_envelope(live.url, body, auth=live.auth)
    return f"{response.status_code}\n".encode() + response.content


def masked(answer: bytes, name: str) -> bytes:
    """The answer with the user's name and any random key replaced by placeholders."""
    return KEY.sub(rb"\1KEY\2", answer.replace(name.encode(), b"NAME"))


def verify_user(live: LiveServer, name: str) -> bytes:
    return soap(live, "verifyUser", f"<ser:username>{name}</ser:username>")


def send_notification(live: LiveServer, name: str, key: str = "made-up") -> bytes:
    return soap(
        live,
        "sendRecoveryNotification",
        f"<ser:username>{name}</ser:username><ser:key>{key}</ser:key>"
        "<ser:notificationType>EMAIL</ser:notificationType>",
    )


def verify_code(live: LiveServer, name: str, code: str = "made-up") -> bytes:
    return soap(
        live,
        "verifyConfirmationCode",
        f"<ser:username>{name}</ser:username><ser:code>{code}</ser:code>",
    )


def verify_account(live: LiveServer, name: str) -> bytes:
    return soap(
        live,
        "verifyAccount",
        f"<ser:claims><xsd:claimUri>{EMAIL_CLAIM}</xsd:claimUri>"
        f"<xsd:claimValue>{name}@example.test</xsd:claimValue></ser:claims>"
        "<ser:tenantDomain></ser:tenantDomain>",
    )


def initiate(live: LiveServer, token: str, name: str) -> bytes:
    answer = subscriber_call(live, "reset-password/initiate", {"email": name}, token)
    return f"{answer.status_code}\n".encode() + answer.content


def first_key(answer: bytes) -> str:
    found = KEY.search(answer)
    assert found, answer
    return answer[found.end(1) : found.start(2)].decode()


def assert_alike(
    call: Callable[[str], bytes], known: str, ghost: str, times: int = 1
) -> list[bytes]:
    """``times`` calls for each name, interleaved: every pair of answers masks to the same bytes."""
    answers = []
    for _ in range(times):
        a, b = masked(call(known), known), masked(call(ghost), ghost)
        assert a == b
        answers.append(a)
    return answers


def lock_by_failures(live: LiveServer, *names: str) -> None:
    """Ten wrong keys to sendRecoveryNotification for each name (the default lockout)."""
    for _ in range(10):
        for name in names:
            send_notification(live, name, "wrong-key")


@pytest.fixture
def hiding(serve) -> LiveServer:
    return serve(**HIDING)


def test_a_user_locked_by_failures_answers_like_an_unknown_one(hiding: LiveServer) -> None:
    live = hiding
    known, ghost = confirmed_user(live, live.client()), unique("ghost")
    lock_by_failures(live, known, ghost)
    [started] = assert_alike(lambda n: verify_user(live, n), known, ghost)
    assert b"error" not in started and b"KEY" in started
    assert_alike(lambda n: send_notification(live, n), known, ghost)
    assert_alike(lambda n: verify_code(live, n), known, ghost)
    assert_alike(
        lambda n: send_notification(live, n, first_key(verify_user(live, n))), known, ghost
    )


def test_a_locked_user_answers_like_an_unknown_one_on_the_subscriber_api(
    hiding: LiveServer,
) -> None:
    live = hiding
    known, ghost = confirmed_user(live, live.client()), unique("ghost")
    token = service_token(live)
    assert_alike(lambda n: initiate(live, token, n), known, ghost)
    lock_by_failures(live, known, ghost)
    assert_alike(lambda n: initiate(live, token, n), known, ghost)


def test_the_mail_limit_of_a_user_answers_like_an_unknown_one(serve) -> None:
    live = serve(**HIDING, limit_mail_per_user="3/hour")
    known, ghost = confirmed_user(live, live.client()), unique("ghost")
    assert_alike(lambda n: verify_account(live, n), known, ghost, times=6)
    token = service_token(live)
    assert_alike(lambda n: initiate(live, token, n), known, ghost, times=6)
    assert_alike(
        lambda n: send_notification(live, n, first_key(verify_user(live, n))),
        known,
        ghost,
        times=6,
    )


def test_a_known_user_still_gets_the_mail(hiding: LiveServer) -> None:
    live = hiding
    known = confirmed_user(live, live.client())
    live.deliver_mail()
    before = len(live.smtp.mailbox.for_address(f"{known}@example.test"))
    send_notification(live, known, first_key(verify_user(live, known)))
    live.deliver_mail()
    assert len(live.smtp.mailbox.for_address(f"{known}@example.test")) == before + 1


def test_failures_lock_an_unknown_name_as_they_lock_a_user(serve) -> None:
    """The lock is kept for the name presented, so its answers match a real user's."""
    live = serve(**HIDING, lockout_failures=3)
    known, ghost = confirmed_user(live, live.client()), unique("ghost")
    answers = []
    for _ in range(5):
        answers += assert_alike(lambda n: verify_code(live, n), known, ghost)
    assert b"locked" in answers[-1]
    assert b"locked" not in answers[0]


def test_a_decoy_key_is_refused_cleanly_when_mail_is_sent_externally(serve) -> None:
    """External sending cannot hide (the caller gets the message): a decoy key ends as a wrong
    key does, never as a server error."""
    live = serve(**HIDING, notification_sending="external")
    ghost = unique("ghost")
    answer = send_notification(live, ghost, first_key(verify_user(live, ghost)))
    assert answer.startswith(b"200\n")
    assert f"Invalid confirmation code for user : {ghost}".encode() in answer
