"""The try-it path: `recovery-soap serve --dev` on a laptop (captcha off, mail on the console, a
known demo account) completes a sign-up and a password recovery with a real SOAP client, and its
mail carries the headers of RFC 5322 and RFC 3834; it refuses to start beside production settings.
Mail sent over SMTP carries the same headers and, when configured, a DKIM signature that
verifies."""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import zeep
from zeep.transports import Transport

from tests.support import SmtpServer, free_port, wait_until_up

DEV_ACCOUNT = ("demo", "demo-secret-for-a-laptop")
CODE = re.compile(r"\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b")
EMAIL = "http://wso2.org/claims/emailaddress"


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
    return {**env, **extra}


def _codes(console: Path) -> list[str]:
    return CODE.findall(console.read_text())


def _wait_for_new_code(console: Path, seen: int) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        codes = _codes(console)
        if len(codes) > seen:
            return codes[-1]
        time.sleep(0.2)
    raise AssertionError(f"no new code on the console:\n{console.read_text()[-2000:]}")


def test_dev_server_completes_signup_and_recovery(tmp_path: Path) -> None:
    port = free_port()
    console = tmp_path / "console.txt"
    with console.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "recovery_soap.cli", "serve", "--dev", "--port", str(port)],
            env=_clean_env(
                RECOVERY_DATABASE_URL=f"sqlite:///{tmp_path / 'dev.db'}",
                RECOVERY_ARGON2_MEMORY_KIB="1024",
                RECOVERY_ARGON2_TIME_COST="1",
            ),
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        session = requests.Session()
        session.auth = DEV_ACCOUNT
        client = zeep.Client(
            f"{base}/services/UserInformationRecoveryService?wsdl",
            transport=Transport(session=session, timeout=30),
        )
        service = client.service
        claims = [
            {"claimUri": EMAIL, "claimValue": "alex@example.test"},
            {"claimUri": "http://wso2.org/claims/givenname", "claimValue": "Alex"},
            {"claimUri": "http://wso2.org/claims/lastname", "claimValue": "Doe"},
        ]
        bean = service.registerUser(
            userName="alex", password="First#Pass123", claims=claims, profileName="default"
        )
        assert bean.verified, bean.error
        code = _wait_for_new_code(console, 0)
        bean = service.confirmUserSelfRegistration(username="alex", code=code, captcha=None)
        assert bean.verified, bean.error

        bean = service.verifyUser(username="alex", captcha=None)  # captcha is off
        assert bean.verified, bean.error
        seen = len(_codes(console))
        bean = service.sendRecoveryNotification(username="alex", key=bean.key, notificationType="")
        assert bean.verified, bean.error
        code = _wait_for_new_code(console, seen)
        bean = service.verifyConfirmationCode(username="alex", code=code, captcha=None)
        assert bean.verified, bean.error
        bean = service.updatePassword(
            username="alex", confirmationCode=bean.key, newPassword="Second#Pass456"
        )
        assert bean.verified, bean.error
    finally:
        process.terminate()
        process.communicate(timeout=20)
    printed = console.read_text()
    assert "DEVELOPMENT MODE" in printed
    for header in ("Date: ", "Message-ID: <", "@localhost>", "Auto-Submitted: auto-generated"):
        assert header in printed


@pytest.mark.parametrize(
    "production",
    [
        {"RECOVERY_REQUIRE_HTTPS": "true"},
        {"RECOVERY_SMTP_HOST": "mail.example.org"},
        {"RECOVERY_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1/test"},
        {"RECOVERY_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379"},
    ],
    ids=lambda env: next(iter(env)),
)
def test_dev_mode_refuses_production_settings(production: dict[str, str], tmp_path: Path) -> None:
    env = _clean_env(RECOVERY_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    result = subprocess.run(
        [sys.executable, "-m", "recovery_soap.cli", "serve", "--dev", "--port", str(free_port())],
        env={**env, **production},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--dev is for a laptop" in result.stderr and "Traceback" not in result.stderr


def test_smtp_mail_has_rfc_headers_and_a_dkim_signature(tmp_path: Path) -> None:
    import dkim
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from recovery_soap.config import Settings
    from recovery_soap.notify.smtp import SmtpSender

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    (tmp_path / "dkim.pem").write_bytes(pem)
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import base64

    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    server = SmtpServer()
    server.start()
    try:
        settings = Settings(
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            mail_from="recovery@mail.example.test",
            dkim_selector="s1",
            dkim_key_file=str(tmp_path / "dkim.pem"),
        )
        message_id = SmtpSender(settings).send("to@example.test", "Subject", "Body text\n")
        deadline = time.monotonic() + 10
        while not server.mailbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.stop()
    received = server.mailbox.messages[-1]
    assert received["Message-ID"] == message_id and message_id.endswith("@mail.example.test>")
    assert email.utils.parsedate_to_datetime(received["Date"]).tzinfo is not None
    assert received["MIME-Version"] == "1.0"
    assert received["Auto-Submitted"] == "auto-generated"
    assert "d=mail.example.test" in received["DKIM-Signature"]
    raw = received.as_bytes()

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"s1._domainkey.mail.example.test."
        return record

    assert dkim.verify(raw, dnsfunc=dns)
