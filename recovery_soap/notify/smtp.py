"""Delivering one message: over SMTP (STARTTLS/SSL and login as configured), or printed on the
console for a laptop (``mail_transport = "console"``)."""

from __future__ import annotations

import smtplib
import ssl
import sys
import threading
from typing import TextIO

from recovery_soap.config import Settings
from recovery_soap.notify.mail import build_message, dkim_signer


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._signer = dkim_signer(settings)

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
        message = build_message(s, recipient, subject, body, html, sender)
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
            if self._signer is None:
                client.send_message(message)
            else:
                client.sendmail(str(message["From"]), [recipient], self._signer.signed(message))
        return str(message["Message-ID"])


class ConsoleSender:
    """Prints each message, as it would be sent, on standard output: the codes of a laptop
    installation are read there (``serve --dev``)."""

    configured = True

    def __init__(self, settings: Settings, stream: TextIO | None = None) -> None:
        self._settings = settings
        self._stream = stream
        self._lock = threading.Lock()

    def send(
        self,
        recipient: str,
        subject: str,
        body: str,
        html: str | None = None,
        sender: str | None = None,
    ) -> str:
        message = build_message(self._settings, recipient, subject, body, None, sender)
        headers = "".join(f"{name}: {value}\n" for name, value in message.items())
        stream = self._stream or sys.stdout
        rule = "-" * 72
        with self._lock:  # the decoded text, readable whatever its transfer encoding
            stream.write(f"{rule}\n{headers}\n{body.rstrip()}\n{rule}\n")
            stream.flush()
        return str(message["Message-ID"])


Sender = SmtpSender | ConsoleSender


def sender_for(settings: Settings) -> Sender:
    """The transport the settings name."""
    return ConsoleSender(settings) if settings.mail_transport == "console" else SmtpSender(settings)
