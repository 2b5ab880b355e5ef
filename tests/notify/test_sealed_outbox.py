"""No usable secret at rest in the outbox: a mailed code is never readable from the database,
before sending (sealed under a key the database does not hold) nor after (erased), and old
delivery records are purged by the dispatcher itself."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from recovery_soap.core.model import MessageKind, RenderedMessage
from recovery_soap.notify.templates import TemplateRenderer
from recovery_soap.store.sealing import PREFIX, Sealer, UnreadableMessage, message_context
from tests.conftest import LiveServer, unique
from tests.soap.flows import claims_for, confirmed_user, start_recovery
from tests.support import free_port

SECRET_KEY = "outbox-test-secret-key-0123456789abcdef"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def issued(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every code the service renders into a message, seen before it reaches the store."""
    codes: list[str] = []
    render = TemplateRenderer.__call__

    def spy(self: TemplateRenderer, kind: MessageKind, variables: Mapping[str, str]) -> Any:
        if variables.get("code"):
            codes.append(variables["code"])
        rendered: RenderedMessage = render(self, kind, variables)
        return rendered

    monkeypatch.setattr(TemplateRenderer, "__call__", spy)
    return codes


def stored_texts(live: LiveServer) -> Iterator[tuple[str, str, str]]:
    """(table, column, value) for every text or bytes value of every row of every table."""
    tables = inspect(live.app.engine).get_table_names()
    with live.app.engine.connect() as connection:
        for table in tables:
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                for column, value in row._mapping.items():
                    if isinstance(value, bytes):
                        value = value.decode("latin-1")
                    if isinstance(value, str):
                        yield table, str(column), value


def holding(live: LiveServer, secret: str) -> list[str]:
    variants = {secret, secret.replace("-", ""), secret.upper()}
    return [
        f"{table}.{column}"
        for table, column, value in stored_texts(live)
        if any(v in value for v in variants)
    ]


def register(live: LiveServer) -> tuple[str, str]:
    name = unique()
    bean = live.client().registerUser(
        userName=name,
        password="Initial#Pass123",
        claims=claims_for(name),
        profileName="default",
        tenantDomain="carbon.super",
    )
    assert bean.verified, bean.error
    return name, f"{name}@example.test"


def outbox_row(live: LiveServer, address: str) -> Any:
    [message] = [m for m in live.app.dispatcher._queue.listing() if m.recipient == address]
    return message


def test_no_table_holds_a_queued_code_in_clear(serve, issued: list[str]) -> None:
    live = serve(secret_key=SECRET_KEY, link_base_url="https://app.example/confirm")
    register(live)
    [code] = issued
    assert holding(live, code) == []


def test_no_table_holds_a_queued_recovery_code_in_clear(serve, issued: list[str]) -> None:
    live = serve(secret_key=SECRET_KEY)
    service = live.client()
    name = confirmed_user(live, service)
    key = start_recovery(live, service, name)
    bean = service.sendRecoveryNotification(username=name, key=key, notificationType="EMAIL")
    assert bean.verified, bean.error
    code = issued[-1]
    assert holding(live, code) == []
    live.deliver_mail()
    assert live.smtp.mailbox.last_code(f"{name}@example.test") == code
    assert holding(live, code) == []


def test_queued_message_is_sealed_and_opened_only_for_sending(serve, issued: list[str]) -> None:
    live = serve(secret_key=SECRET_KEY)
    name, address = register(live)
    queued = outbox_row(live, address)
    assert queued.body.startswith(PREFIX) and queued.html.startswith(PREFIX)
    live.deliver_mail()
    service = live.client()
    code = live.smtp.mailbox.last_code(address)
    assert code == issued[-1]
    bean = service.confirmUserSelfRegistration(
        username=name, code=code, captcha=live.solve_captcha(service), tenantDomain="carbon.super"
    )
    assert bean.verified, bean.error


def test_sent_message_keeps_no_text_not_even_sealed(serve, issued: list[str]) -> None:
    live = serve(secret_key=SECRET_KEY)
    _, address = register(live)
    sealed = outbox_row(live, address).body
    live.deliver_mail()
    sent = outbox_row(live, address)
    assert sent.status == "sent"
    assert (sent.body, sent.html) == ("", None)
    assert holding(live, sealed) == [] and holding(live, issued[-1]) == []


def test_dead_message_keeps_no_text(serve) -> None:
    live = serve(secret_key=SECRET_KEY, smtp_port=free_port(), outbox_max_attempts=1)
    _, address = register(live)
    live.deliver_mail()
    dead = outbox_row(live, address)
    assert dead.status == "dead"
    assert (dead.body, dead.html) == ("", None)
    assert live.app.dispatcher._queue.revive(live.clock.now(), dead.id) == 0


def test_resend_after_delivery_mails_a_new_working_code(serve) -> None:
    live = serve(secret_key=SECRET_KEY)
    name, address = register(live)
    live.deliver_mail()
    first = live.smtp.mailbox.last_code(address)
    service = live.client()
    bean = service.resendSignUpConfiramtionCode(
        userName=name, code="", profileName="default", tenantDomain="carbon.super"
    )
    assert bean.verified, bean.error
    live.deliver_mail()
    second = live.smtp.mailbox.last_code(address)
    assert second != first and len(live.smtp.mailbox.for_address(address)) == 2
    bean = service.confirmUserSelfRegistration(
        username=name, code=second, captcha=live.solve_captcha(service), tenantDomain="carbon.super"
    )
    assert bean.verified, bean.error


def test_dispatcher_purges_old_delivery_records_by_itself(serve) -> None:
    live = serve(secret_key=SECRET_KEY, outbox_keep_days=7, outbox_poll_seconds=0.05)
    _, address = register(live)
    live.deliver_mail()
    message_id = outbox_row(live, address).id
    live.clock.advance(days=8)
    thread, stop = live.app.dispatcher.start_background()
    try:
        gone = threading.Event()
        for _ in range(200):
            ids = {m.id for m in live.app.dispatcher._queue.listing(limit=100_000)}
            if message_id not in ids:
                gone.set()
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert gone.is_set(), "the sent message was not purged"


def test_sealed_text_is_bound_to_its_recipient_and_key() -> None:
    sealer = Sealer(b"k" * 32)
    sealed = sealer.seal("code 1234", message_context("passwordReset", "a@example.test"))
    assert "1234" not in sealed
    assert sealer.open(sealed, message_context("passwordReset", "a@example.test")) == "code 1234"
    with pytest.raises(UnreadableMessage):
        sealer.open(sealed, message_context("passwordReset", "attacker@example.test"))
    with pytest.raises(UnreadableMessage):
        Sealer(b"other" * 8).open(sealed, message_context("passwordReset", "a@example.test"))


def test_the_sealing_key_is_derived_once_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.hazmat.primitives.kdf import hkdf

    derived: list[bytes] = []
    real = hkdf.HKDF.derive

    def counting(self: hkdf.HKDF, key_material: bytes) -> bytes:
        derived.append(key_material)
        return real(self, key_material)

    monkeypatch.setattr(hkdf.HKDF, "derive", counting)
    sealer = Sealer(b"k" * 32)
    assert derived == []
    context = message_context("passwordReset", "a@example.test")
    texts = [sealer.seal(f"code {n}", context) for n in range(3)]
    assert [sealer.open(t, context) for t in texts] == ["code 0", "code 1", "code 2"]
    assert derived == [b"k" * 32]


def test_a_worker_that_seals_nothing_does_without_cryptography(database_url: str) -> None:
    """Memory: cryptography is about 7 MB of a worker; with external sending nothing is sealed."""
    probe = f"""
import sys
from recovery_soap.app import create_app
from recovery_soap.config import Settings
app = create_app(Settings(database_url={database_url!r}, secret_key="k" * 32,
                          notification_sending="external",
                          argon2_memory_kib=1024, argon2_time_cost=1))
print("cryptography" in sys.modules)
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "False"


def test_message_sealed_under_another_key_is_given_up_not_sent(serve) -> None:
    live = serve(secret_key=SECRET_KEY)
    _, address = register(live)
    other = serve(secret_key="another-secret-key-0123456789abcdef")
    other.deliver_mail()
    message = outbox_row(other, address)
    assert message.status == "dead" and "another key" in (message.last_error or "")
    assert not live.smtp.mailbox.for_address(address)
