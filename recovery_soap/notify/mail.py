"""The messages the service sends, built once for every transport: the headers RFC 5322 asks for
(Date, Message-ID in the sender's domain), MIME-Version, Auto-Submitted (RFC 3834: no
auto-replies, no vacation notices back), and an optional DKIM signature (RFC 6376)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from recovery_soap.config import Settings, SettingsError

#: Headers covered by the DKIM signature.
SIGNED_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id", b"mime-version")


def build_message(
    settings: Settings,
    recipient: str,
    subject: str,
    body: str,
    html: str | None = None,
    sender: str | None = None,
) -> EmailMessage:
    sender = sender or settings.mail_from
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    if "MIME-Version" not in message:
        message["MIME-Version"] = "1.0"
    return message


class DkimSigner:
    """Signs whole messages with the key in ``dkim_key_file`` (read once, at start)."""

    def __init__(self, settings: Settings) -> None:
        self._selector = settings.dkim_selector.encode()
        self._domain = settings.dkim_domain or settings.mail_from.rpartition("@")[2]
        try:
            self._key = Path(settings.dkim_key_file).read_bytes()
        except OSError as error:
            raise SettingsError(
                f"dkim_key_file: cannot read {settings.dkim_key_file}: {error.strerror}"
            ) from None

    def signed(self, message: EmailMessage) -> bytes:
        import dkim

        raw = message.as_bytes()
        signature = dkim.sign(
            raw,
            self._selector,
            self._domain.encode(),
            self._key,
            include_headers=list(SIGNED_HEADERS),
        )
        return bytes(signature) + raw


def dkim_signer(settings: Settings) -> DkimSigner | None:
    return DkimSigner(settings) if settings.dkim_selector else None
