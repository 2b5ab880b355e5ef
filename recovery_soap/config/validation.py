"""The checks a set of settings must pass before anything runs: a wrong value is refused at start
with one line naming it, never found out at the first request."""

from __future__ import annotations

import re
from dataclasses import fields

from recovery_soap.config.fields import SettingFields
from recovery_soap.core.errors import RecoverySoapError
from recovery_soap.forwarded import parse_networks

MIN_SECRET_KEY_BYTES = 16
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: Storages of the shared limits (the `limits` library's schemes this service supports).
LIMIT_STORAGE_SCHEMES = (
    "memory",
    "redis",
    "rediss",
    "redis+unix",
    "redis+sentinel",
    "redis+cluster",
)
#: The settings that take one of a few words.
CHOICES = {
    "captcha_verification": ("internal", "off"),
    "notification_sending": ("internal", "external"),
    "smtp_security": ("none", "starttls", "ssl"),
    "challenge_answers_required": ("all", "one"),
    "recovery_proof": ("either", "code_and_answers"),
    "rate_limits": ("on", "off"),
    "log_format": ("text", "json"),
    "mail_transport": ("smtp", "console"),
    "rate_limit_failure_mode": ("open", "closed"),
}
RATE = re.compile(r"\d+\s*(/|per)\s*\d*\s*[a-z]+")


class SettingsError(RecoverySoapError, ValueError):
    """A setting has a value the service cannot run with."""


def validate(settings: SettingFields) -> None:
    """Raise SettingsError for the first value the service cannot run with."""
    for name, allowed in CHOICES.items():
        if getattr(settings, name) not in allowed:
            raise SettingsError(f"{name} must be one of {', '.join(allowed)}")
    _check_lifetimes(settings)
    _check_network(settings)
    _check_limits(settings)
    _check_keys_and_logs(settings)


def _check_lifetimes(s: SettingFields) -> None:
    for name in ("recovery_code_minutes", "signup_code_minutes", "captcha_minutes"):
        if getattr(s, name) <= 0:
            raise SettingsError(f"{name} must be positive: codes never live forever")
    if not 1 <= s.password_min_length <= s.password_max_length:
        raise SettingsError("password_min_length must be between 1 and password_max_length")
    if s.token_minutes <= 0:
        raise SettingsError("token_minutes must be positive: tokens never live forever")
    if s.oidc_jwks_url and not (s.oidc_issuer and s.oidc_audience):
        raise SettingsError("oidc_jwks_url needs oidc_issuer and oidc_audience")
    if min(s.session_idle_minutes, s.session_lifetime_minutes) <= 0:
        raise SettingsError("the session minutes must be positive: sessions never live forever")
    if s.outbox_lease_seconds <= 0 or s.outage_log_interval_seconds <= 0:
        raise SettingsError("outbox_lease_seconds and outage_log_interval_seconds must be positive")
    if s.outbox_keep_days < 0:
        raise SettingsError("outbox_keep_days must be 0 (keep) or more")


def _check_network(s: SettingFields) -> None:
    try:
        parse_networks(s.trusted_proxies)
    except ValueError as bad:
        raise SettingsError(f"trusted_proxies: {bad}") from None
    if s.max_body_bytes < 1024:
        raise SettingsError("max_body_bytes must be at least 1024")


def _check_limits(s: SettingFields) -> None:
    if min(s.lockout_failures, s.lockout_window_minutes, s.lockout_minutes) <= 0:
        raise SettingsError("lockout_failures and the lockout minutes must be positive")
    for name in [f.name for f in fields(s) if f.name.startswith("limit_")]:
        if not RATE.fullmatch(getattr(s, name).strip()):
            raise SettingsError(f"{name} must be a rate such as 5/hour")


def _check_keys_and_logs(s: SettingFields) -> None:
    if s.secret_key and len(s.secret_key.encode()) < MIN_SECRET_KEY_BYTES:
        raise SettingsError(
            f"secret_key must be at least {MIN_SECRET_KEY_BYTES} bytes "
            "(32 random characters or more; empty: one is generated and kept in the database)"
        )
    if bool(s.dkim_selector) != bool(s.dkim_key_file):
        raise SettingsError("dkim_selector and dkim_key_file go together")
    if s.log_level.upper() not in LOG_LEVELS:
        raise SettingsError(f"log_level must be one of {', '.join(LOG_LEVELS)}")
    scheme = s.rate_limit_storage.partition("://")[0]
    if "://" not in s.rate_limit_storage or scheme not in LIMIT_STORAGE_SCHEMES:
        raise SettingsError(
            "rate_limit_storage must be memory:// or a Redis URL "
            f"({', '.join(name + '://' for name in LIMIT_STORAGE_SCHEMES[1:])})"
        )
