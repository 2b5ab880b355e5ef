"""`recovery-soap doctor`: check what the service depends on; say what is wrong in plain words."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

from recovery_soap.config import Settings
from recovery_soap.store import schema
from recovery_soap.store.db import backend_name, make_engine, ping


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    message: str
    warning: bool = False  # advice, not a failure


def _database(settings: Settings) -> list[Finding]:
    engine = make_engine(settings.database_url)
    try:
        ping(engine)
    except Exception as exc:  # noqa: BLE001 - report any failure in words
        return [
            Finding(
                "database",
                False,
                f"cannot reach the database: {type(exc).__name__}. "
                "Check RECOVERY_DATABASE_URL, the server and its credentials.",
            )
        ]
    found = [Finding("database", True, f"reachable ({backend_name(engine)})")]
    try:
        current, head = schema.current_revision(engine), schema.head_revision()
    finally:
        engine.dispose()
    if current == head:
        found.append(Finding("migrations", True, f"schema is current ({head})"))
        found.append(_legacy_hashes(settings))
    else:
        found.append(
            Finding(
                "migrations",
                False,
                f"schema is at {current or 'nothing'}, the code "
                f"expects {head}: run 'recovery-soap db upgrade'",
            )
        )
    return found


def _legacy_hashes(settings: Settings) -> Finding:
    """Imported SHA-256 digests not yet wrapped in argon2id (``recovery-soap rehash`` does)."""
    from recovery_soap.store.imports import legacy_hash_counts

    engine = make_engine(settings.database_url)
    try:
        passwords, answers, ldap = legacy_hash_counts(engine)
    finally:
        engine.dispose()
    directory = f"; {ldap} LDAP password hashes wait for their first login" if ldap else ""
    if not passwords + answers:
        return Finding(
            "legacy hashes", True, f"none: every imported digest is wrapped{directory}", bool(ldap)
        )
    return Finding(
        "legacy hashes",
        True,
        f"{passwords} passwords and {answers} answers are bare legacy SHA-256 digests: "
        f"run 'recovery-soap rehash'{directory}",
        warning=True,
    )


def _smtp(settings: Settings) -> Finding:
    if settings.notifications_external:
        return Finding("smtp", True, "not needed: notification sending is external")
    if not settings.smtp_host:
        return Finding(
            "smtp",
            True,
            "no SMTP server configured: mail stays in the outbox "
            "(set RECOVERY_SMTP_HOST to deliver it)",
            warning=True,
        )
    try:
        client_class = smtplib.SMTP_SSL if settings.smtp_security == "ssl" else smtplib.SMTP
        with client_class(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
        ) as client:
            client.ehlo()
            if settings.smtp_security == "starttls":
                client.starttls()
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password)
    except (OSError, smtplib.SMTPException) as exc:
        return Finding(
            "smtp",
            False,
            f"cannot use {settings.smtp_host}:{settings.smtp_port}: "
            f"{type(exc).__name__}. Check host, port, security and login.",
        )
    return Finding("smtp", True, f"{settings.smtp_host}:{settings.smtp_port} accepts us")


def _rate_limits(settings: Settings) -> Finding:
    if settings.rate_limits == "off":
        return Finding(
            "rate limits", True, "OFF: only for load tests and conformance runs", warning=True
        )
    if settings.rate_limit_storage.startswith(("redis://", "rediss://")):
        from recovery_soap.ratelimit import Limiter

        if not Limiter(settings).reachable():
            return Finding(
                "rate limits",
                False,
                f"Redis at {settings.rate_limit_storage} does "
                f"not answer: limits fail {settings.rate_limit_failure_mode} until it does",
            )
        return Finding("rate limits", True, "shared in Redis")
    return Finding(
        "rate limits",
        True,
        "in memory: each process counts alone (use Redis for several workers)",
        warning=True,
    )


def _advice(settings: Settings) -> list[Finding]:
    advice = []
    if not settings.hide_user_existence:
        advice.append(
            Finding(
                "enumeration",
                True,
                "unknown users are reported as such; set "
                "RECOVERY_HIDE_USER_EXISTENCE=true for public deployments",
                warning=True,
            )
        )
    if settings.recovery_proof != "code_and_answers":
        advice.append(
            Finding(
                "proof",
                True,
                "challenge answers alone may reset a password; "
                "RECOVERY_RECOVERY_PROOF=code_and_answers is recommended",
                warning=True,
            )
        )
    if not settings.secret_key:
        advice.append(
            Finding(
                "secret key",
                True,
                "the hashing key, and the key that seals queued mail, are kept in the "
                "database: a dump reveals queued codes; set RECOVERY_SECRET_KEY to keep it apart",
                warning=True,
            )
        )
    if settings.outbox_lease_seconds <= settings.smtp_timeout_seconds:
        advice.append(
            Finding(
                "outbox lease",
                True,
                "outbox_lease_seconds is not above smtp_timeout_seconds: a slow SMTP server "
                "can make a message go out twice",
                warning=True,
            )
        )
    if settings.captcha_verification == "off":
        advice.append(Finding("captcha", True, "captcha verification is off", warning=True))
    return advice


def diagnose(settings: Settings) -> list[Finding]:
    return [*_database(settings), _smtp(settings), _rate_limits(settings), *_advice(settings)]
