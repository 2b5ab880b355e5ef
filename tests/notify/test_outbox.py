"""The outbox: messages are stored with their code, delivered by SMTP, and never lost."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import LiveServer, unique
from tests.soap.flows import claims_for
from tests.support import CODE, SmtpServer, body_of, free_port


def register(live: LiveServer) -> str:
    name = unique()
    bean = live.client().registerUser(
        userName=name,
        password="Initial#Pass123",
        claims=claims_for(name),
        profileName="default",
        tenantDomain="carbon.super",
    )
    assert bean.verified, bean.error
    return f"{name}@example.test"


def test_message_waits_while_smtp_is_down_and_is_delivered_when_it_returns(serve) -> None:
    port = free_port()  # nothing listens here yet
    live = serve(smtp_port=port)
    address = register(live)
    sent, failed = live.app.dispatcher.deliver_due(limit=10_000)
    assert sent == 0 and failed >= 1
    queued = [m for m in live.app.dispatcher._queue.listing() if m.recipient == address]
    assert [m.status for m in queued] == ["pending"]
    assert queued[0].last_error

    smtp = SmtpServer(port=port)
    smtp.start()
    try:
        live.app.dispatcher._queue.retry_now(live.clock.now())
        live.app.dispatcher.deliver_due(limit=10_000)
        assert len(smtp.mailbox.for_address(address)) == 1
        live.app.dispatcher.deliver_due(limit=10_000)
        assert len(smtp.mailbox.for_address(address)) == 1  # sent once, not again
    finally:
        smtp.stop()


def test_message_is_marked_dead_after_the_configured_attempts(serve) -> None:
    live = serve(smtp_port=free_port(), outbox_max_attempts=2)
    address = register(live)
    queue = live.app.dispatcher._queue
    for _ in range(2):
        queue.retry_now(live.clock.now())
        live.app.dispatcher.deliver_due()
    [message] = [m for m in queue.listing() if m.recipient == address]
    assert message.status == "dead"
    assert message.attempts == 2


def test_without_smtp_messages_stay_in_the_outbox(serve) -> None:
    live = serve(smtp_host="")
    address = register(live)
    assert live.app.dispatcher.deliver_due() == (0, 0)
    [message] = [m for m in live.app.dispatcher._queue.listing() if m.recipient == address]
    assert message.status == "pending"
    assert not CODE.search(message.body)  # sealed at rest


def test_mail_has_subject_sender_and_code(live: LiveServer) -> None:
    address = register(live)
    live.deliver_mail()
    [mail] = live.smtp.mailbox.for_address(address)
    assert mail["From"] == "recovery@example.test"
    assert mail["Subject"] == "Confirm your account"
    assert CODE.search(body_of(mail))


def test_delivery_log_names_the_message_but_neither_recipient_nor_code(
    live: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    address = register(live)
    live.deliver_mail()
    code = live.smtp.mailbox.last_code(address)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("recovery_soap")]
    assert any("(accountConfirmation) delivered" in message for message in ours)
    assert not any(address in message for message in ours)
    assert not any(code in message for message in ours)


def test_revived_message_is_sent_and_sent_ones_purged(serve) -> None:
    port = free_port()
    live = serve(smtp_port=port)
    address = register(live)
    queue = live.app.dispatcher._queue
    [queued] = [m for m in queue.listing() if m.recipient == address]
    assert queue.revive(live.clock.now(), queued.id) == 1  # still holds its text
    smtp = SmtpServer(port=port)
    smtp.start()
    try:
        live.app.dispatcher.deliver_due(limit=10_000)
    finally:
        smtp.stop()
    assert len(smtp.mailbox.for_address(address)) == 1
    [sent] = [m for m in queue.listing() if m.id == queued.id]
    assert sent.status == "sent"
    live.clock.advance(days=8)
    from datetime import timedelta

    assert queue.purge(live.clock.now() - timedelta(days=7)) >= 1
    assert not [m for m in queue.listing(limit=10_000) if m.id == queued.id]


def test_mail_has_an_html_alternative_with_the_same_code(live: LiveServer) -> None:
    address = register(live)
    live.deliver_mail()
    [mail] = live.smtp.mailbox.for_address(address)
    code = CODE.search(body_of(mail)).group(0)
    assert code in body_of(mail, "html")
    assert body_of(mail, "html").lstrip().startswith("<!doctype html>")


def test_templates_and_sender_can_be_overridden_per_tenant(serve, tmp_path) -> None:
    (tmp_path / "accountConfirmation.subject.j2").write_text("Welcome aboard\n")
    tenant_dir = tmp_path / "carbon.super"
    tenant_dir.mkdir()
    (tenant_dir / "accountConfirmation.txt.j2").write_text(
        "Dear {{ first_name }}, your code is {{ code }}. {{ link }}\n"
    )
    (tenant_dir / "tenant.toml").write_text(
        'mail_from = "accounts@tenant.example"\nlink_base_url = "https://app.example/confirm"\n'
    )
    live = serve(templates_dir=str(tmp_path))
    address = register(live)
    live.deliver_mail()
    [mail] = live.smtp.mailbox.for_address(address)
    assert mail["Subject"] == "Welcome aboard"
    assert mail["From"] == "accounts@tenant.example"
    text = body_of(mail)
    code = CODE.search(text).group(0)
    assert text.startswith("Dear Test, your code is")
    assert f"https://app.example/confirm?code={code}&user=" in text
    # the HTML alternative still comes from the shipped templates, escaped
    assert code in body_of(mail, "html")


def test_html_template_escapes_user_data(serve) -> None:
    from recovery_soap.config import Settings
    from recovery_soap.core.model import MessageKind
    from recovery_soap.notify.templates import TemplateRenderer

    rendered = TemplateRenderer(Settings())(
        MessageKind.ACCOUNT_ID_RECOVERY,
        {
            "first_name": "<script>x</script>",
            "user_name": "bob",
            "code": "",
            "tenant_domain": "carbon.super",
            "userstore_domain": "PRIMARY",
        },
    )
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<script>x</script>" in rendered.text  # plain text is not HTML


def test_every_message_queued_during_an_outage_is_delivered_once(serve) -> None:
    port = free_port()
    live = serve(smtp_port=port, rate_limits="off")
    addresses = [register(live) for _ in range(20)]
    live.app.dispatcher.deliver_due(limit=10_000)  # SMTP is down: nothing leaves
    queue = live.app.dispatcher._queue
    ours = [m for m in queue.listing(limit=10_000) if m.recipient in addresses]
    assert len(ours) == 20 and {m.status for m in ours} == {"pending"}
    smtp = SmtpServer(port=port)
    smtp.start()
    try:
        queue.retry_now(live.clock.now())
        for _ in range(3):  # more passes must not send anything twice
            live.app.dispatcher.deliver_due(limit=10_000)
    finally:
        smtp.stop()
    delivered = [m for m in smtp.mailbox.messages if m["To"] in addresses]
    assert len(delivered) == 20
    assert sorted(m["To"] for m in delivered) == sorted(addresses)
