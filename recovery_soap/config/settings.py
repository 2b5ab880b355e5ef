"""The settings object the service runs with: checked when built, immutable afterwards."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from recovery_soap.config.fields import SettingFields
from recovery_soap.config.validation import SettingsError, validate

#: The service account of ``serve --dev`` (documented in the README's try-it path).
DEV_ACCOUNT = "demo:demo-secret-for-a-laptop"


@dataclass(frozen=True)
class Settings(SettingFields):
    """Everything the service can be configured with; immutable once built."""

    def __post_init__(self) -> None:
        validate(self)

    @property
    def captcha_checked(self) -> bool:
        return self.captcha_verification == "internal"

    @property
    def notifications_external(self) -> bool:
        return self.notification_sending == "external"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def for_development(self) -> Settings:
        """A laptop's settings (``serve --dev``): captcha off, mail printed on the console, a
        demo account with a known secret. Refused next to any production setting, so that it
        can never weaken a real installation by mistake."""
        production = [
            name
            for name, present in (
                ("require_https", self.require_https),
                ("a database other than SQLite", not self.database_url.startswith("sqlite")),
                ("smtp_host", bool(self.smtp_host)),
                ("Redis limits", self.rate_limit_storage != "memory://"),
                ("saas_mode", self.saas_mode),
            )
            if present
        ]
        if production:
            raise SettingsError(
                f"--dev is for a laptop and refuses production settings: {', '.join(production)}"
            )
        return self.replace(
            captcha_verification="off",
            mail_transport="console",
            outbox_poll_seconds=min(self.outbox_poll_seconds, 0.5),
            bootstrap_account=self.bootstrap_account or DEV_ACCOUNT,
        )
