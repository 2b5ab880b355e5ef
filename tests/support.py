"""Test helpers: a clock tests can move, captcha texts tests can read, mail, raw envelopes."""

from __future__ import annotations

import email
import re
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message

import requests
from aiosmtpd.controller import Controller

CODE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
SERVICE_NS = "http://services.mgt.identity.carbon.wso2.org"
SERVICE_PATH = "/services/UserInformationRecoveryService"
#: Passwords, answers and service secrets the suite uses: none may ever appear in a log.
KNOWN_SECRETS = {
    "Initial#Pass123",
    "Brand#New456",
    "Good#Password1",
    "test-admin-secret-0123456789",
    "Colombo",
    "Cricket",
    "Init#Pass123",
    "New#Pass456",
    # tests/core: passwords, answers, service secrets and session ids (known-secret-<n>)
    "Core#Start123",
    "Core#Changed456",
    "Legacy#Pass123",
    "Kandy",
    "Rugby",
    "client-secret-0123456789",
    "known-secret-",
}


class MovableClock:
    """Real time plus an offset that tests advance to expire codes."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None) + self.offset

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)


class CaptchaTexts:
    """Hands out known captcha texts and remembers the last, so tests can solve captchas."""

    def __init__(self) -> None:
        self._count = 0
        self.last = ""
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self._count += 1
            self.last = f"K{self._count:05d}".replace("0", "Q")
            return self.last


@dataclass
class Mailbox:
    """What the test SMTP server received."""

    messages: list[Message] = field(default_factory=list)

    def for_address(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]

    def last_code(self, address: str) -> str:
        """The code of the newest mail to ``address`` that carries one (notices carry none)."""
        mails = self.for_address(address)
        assert mails, f"no mail for {address}"
        for mail in reversed(mails):
            found = CODE.findall(body_of(mail))
            if found:
                return found[-1]
        raise AssertionError(f"no mail with a code for {address}")


def body_of(message: Message, subtype: str = "plain") -> str:
    """The text/plain (or text/html) part of a message."""
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode("utf-8")
    raise AssertionError(f"no text/{subtype} part")


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        self.mailbox.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def wait_until_up(url: str) -> None:
    """Poll /healthz until the server answers (no fixed sleep)."""
    for _ in range(300):
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        threading.Event().wait(0.02)
    raise RuntimeError(f"server at {url} did not come up")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """A real SMTP server (aiosmtpd) on loopback, collecting every message."""

    def __init__(self, port: int | None = None) -> None:
        self.mailbox = Mailbox()
        self._controller = Controller(
            _Handler(self.mailbox), hostname="127.0.0.1", port=port or free_port()
        )

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def port(self) -> int:
        return int(self._controller.port)


def envelope(operation: str, inner: str = "", *, soap12: bool = False, extra_ns: str = "") -> str:
    """A SoapUI-style envelope: soapenv/ser prefixes, comments, an empty Header."""
    env_ns = SOAP12_NS if soap12 else SOAP11_NS
    return (
        f'<soapenv:Envelope xmlns:soapenv="{env_ns}" xmlns:ser="{SERVICE_NS}" {extra_ns}>'
        "<soapenv:Header/><soapenv:Body>"
        f"<ser:{operation}>{inner}</ser:{operation}>"
        "</soapenv:Body></soapenv:Envelope>"
    )


def post_envelope(
    base_url: str,
    body: str | bytes,
    *,
    auth: tuple[str, str] | None,
    soap12: bool = False,
    path: str = SERVICE_PATH,
    content_type: str | None = None,
    action: str = "",
    headers: dict[str, str] | None = None,
) -> requests.Response:
    if content_type is None:
        content_type = (
            f'application/soap+xml; charset=UTF-8; action="{action}"'
            if soap12
            else "text/xml; charset=UTF-8"
        )
    sent = {"Content-Type": content_type, **(headers or {})}
    if not soap12:
        sent.setdefault("SOAPAction", f'"{action}"')
    data = body.encode() if isinstance(body, str) else body
    return requests.post(base_url + path, data=data, headers=sent, auth=auth, timeout=30)


# The claim dialect URIs and the default challenge questions of the seed, for every test layer.
EMAIL = "http://wso2.org/claims/emailaddress"
GIVEN = "http://wso2.org/claims/givenname"
LAST = "http://wso2.org/claims/lastname"
SET1 = "http://wso2.org/claims/challengeQuestion1"
SET2 = "http://wso2.org/claims/challengeQuestion2"
Q1 = "City where you were born ?"
Q2 = "Favorite sport ?"
