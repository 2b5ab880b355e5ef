"""Sending one message over SMTP, with STARTTLS/SSL and login as configured."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from recovery_soap.config import Settings


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def configured(self) -> bool:
        return bool(self._settings.smtp_host)

    def send(
        self,
        recipient: str,
        subject: str,
        body: str,
        html: str | None = None,
        sender: str | None = None,
    ) -> str:
        """Deliver one message (plain text, with an HTML alternative when given); returns its
        Message-ID. Raises OSError/SMTPException on failure."""
        s = self._settings
        sender = sender or s.mail_from
        message = EmailMessage()
        message["From"] = sender
        message["To"] = recipient
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
        message.set_content(body)
        if html:
            message.add_alternative(html, subtype="html")
        context = ssl.create_default_context()
        if s.smtp_security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context
            )
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        with client:
            if s.smtp_security == "starttls":
                client.starttls(context=context)
            if s.smtp_user:
                client.login(s.smtp_user, s.smtp_password)
            client.send_message(message)
        return str(message["Message-ID"])
