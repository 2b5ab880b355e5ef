"""The settings reference (``recovery-soap config --reference``, docs/configuration.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields

from recovery_soap.config.loading import ENV_PREFIX
from recovery_soap.config.settings import Settings

#: The legacy identity-mgt.properties key each setting replaces, for the migration guide.
LEGACY_PROPERTY: Mapping[str, str] = {
    "captcha_verification": "Captcha.Verification.Internally.Managed",
    "notification_sending": "Notification.Sending.Internally.Managed",
    "lock_on_creation": "Authentication.Policy.Account.Lock.On.Creation",
    "recovery_code_minutes": "Notification.Expire.Time",
    "signup_code_minutes": "Notification.Expire.Time",
    "saas_mode": "UserInfoRecovery.SaaSEnable",
    "password_regex": "PasswordJavaRegEx (user-mgt.xml)",
}


def reference_table() -> str:
    """Every setting as a Markdown table: name, environment variable, default, meaning."""
    rows = [
        "| setting (config file key) | environment variable | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for f in fields(Settings):
        default = "(generated)" if f.name == "secret_key" else repr(f.default)
        if f.metadata.get("secret") and f.name != "secret_key":
            default = "''"
        legacy = LEGACY_PROPERTY.get(f.name)
        meaning = f.metadata.get("doc", "") + (f" (legacy `{legacy}`)" if legacy else "")
        rows.append(f"| `{f.name}` | `{ENV_PREFIX}{f.name.upper()}` | `{default}` | {meaning} |")
    return "\n".join(rows)
