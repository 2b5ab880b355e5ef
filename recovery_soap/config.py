"""Settings: defaults, then an optional TOML config file, then ``RECOVERY_*`` environment variables.

Every setting is a field of :class:`Settings`; its environment variable is ``RECOVERY_`` plus the
field name in upper case, and its config-file key is the field name. The legacy
``identity-mgt.properties`` flags are named here by what they mean (see ``LEGACY_PROPERTY``).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from recovery_soap.forwarded import parse_networks

ENV_PREFIX = "RECOVERY_"
#: Suffix of a variable naming a file that holds a secret setting (container and Kubernetes
#: secrets are mounted as files): RECOVERY_SECRET_KEY_FILE=/run/secrets/key.
FILE_SUFFIX = "_FILE"
MIN_SECRET_KEY_BYTES = 16
#: The service account of ``serve --dev`` (documented in the README's try-it path).
DEV_ACCOUNT = "demo:demo-secret-for-a-laptop"
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
#: Variables of the environment that are not settings but are read all the same.
OTHER_VARIABLES = frozenset(
    {
        "RECOVERY_CONFIG",
        "RECOVERY_BIND",  # gunicorn.conf.py
        "RECOVERY_WORKERS",
        "RECOVERY_FORWARDED_ALLOW_IPS",
        "RECOVERY_IMPORT_SOURCE",
        "RECOVERY_SKIP_INSTALL",  # scripts/test
    }
)
#: Variables of the test suite and tools, never settings.
OTHER_PREFIXES = ("RECOVERY_TEST_",)


class SettingsError(ValueError):
    """A setting has a value the service cannot run with."""


@dataclass(frozen=True)
class Settings:
    """Everything the service can be configured with; immutable once built."""

    database_url: str = field(
        default="sqlite:///./recovery.db",
        metadata={"doc": "SQLAlchemy URL: sqlite:///FILE or postgresql+psycopg://USER@HOST/DB"},
    )
    captcha_verification: str = field(
        default="internal",
        metadata={"doc": "internal: operations taking a captcha check it; off: they ignore it"},
    )
    notification_sending: str = field(
        default="internal",
        metadata={
            "doc": "internal: the service mails codes; external: codes come back in "
            "notificationData for the calling application to deliver"
        },
    )
    lock_on_creation: bool = field(
        default=True,
        metadata={"doc": "self-registered accounts stay locked until confirmed by the mailed code"},
    )
    recovery_code_minutes: int = field(
        default=10, metadata={"doc": "lifetime of recovery codes and keys, minutes"}
    )
    signup_code_minutes: int = field(
        default=24 * 60, metadata={"doc": "lifetime of sign-up confirmation codes, minutes"}
    )
    captcha_minutes: int = field(default=20, metadata={"doc": "lifetime of a captcha, minutes"})
    saas_mode: bool = field(
        default=False,
        metadata={"doc": "service accounts marked all-tenants may act for any tenant"},
    )
    password_min_length: int = field(default=8, metadata={"doc": "shortest accepted password"})
    password_max_length: int = field(default=64, metadata={"doc": "longest accepted password"})
    password_regex: str = field(
        default="", metadata={"doc": "optional regular expression a password must match in full"}
    )
    password_policy_message: str = field(
        default="",
        metadata={"doc": "text shown when password_regex does not match (default: generic)"},
    )
    challenge_answers_required: str = field(
        default="all",
        metadata={
            "doc": "all: a password change by challenge questions needs every question of the "
            "user answered; one: legacy compatibility, one right answer suffices"
        },
    )
    secret_key: str = field(
        default="",
        metadata={
            "doc": "key for the keyed hashes of codes and service-account secrets; empty: one "
            "is generated and kept in the database on first start",
            "secret": True,
        },
    )
    smtp_host: str = field(
        default="", metadata={"doc": "SMTP server; empty: mail stays in the outbox"}
    )
    smtp_port: int = field(default=25, metadata={"doc": "SMTP port"})
    smtp_security: str = field(default="none", metadata={"doc": "none, starttls or ssl"})
    smtp_user: str = field(default="", metadata={"doc": "SMTP login; empty: no authentication"})
    smtp_password: str = field(default="", metadata={"doc": "SMTP password", "secret": True})
    smtp_timeout_seconds: float = field(default=10.0, metadata={"doc": "SMTP socket timeout"})
    mail_from: str = field(
        default="no-reply@localhost", metadata={"doc": "sender address of every message"}
    )
    mail_transport: str = field(
        default="smtp",
        metadata={
            "doc": "smtp: deliver through smtp_host; console: print each message on standard "
            "output instead (a laptop, serve --dev; never in production)"
        },
    )
    dkim_selector: str = field(
        default="", metadata={"doc": "DKIM selector; set with dkim_key_file to sign every mail"}
    )
    dkim_domain: str = field(
        default="", metadata={"doc": "DKIM signing domain (default: the domain of mail_from)"}
    )
    dkim_key_file: str = field(
        default="", metadata={"doc": "PEM file of the DKIM private key (RSA or Ed25519)"}
    )
    templates_dir: str = field(
        default="",
        metadata={
            "doc": "directory of mail templates overriding the shipped ones; "
            "a sub-directory per tenant domain overrides for that tenant"
        },
    )
    link_base_url: str = field(
        default="",
        metadata={
            "doc": "URL of the page where users enter a code; mails then carry a link "
            "with code, user and tenant (per tenant: tenant.toml in templates_dir)"
        },
    )
    pages: bool = field(
        default=True,
        metadata={
            "doc": "serve the self-service pages at /accountrecoveryendpoint/ (off: SOAP and "
            "REST only)"
        },
    )
    public_url: str = field(
        default="",
        metadata={
            "doc": "public base URL of this server; mails then link to its pages "
            "(link_base_url overrides; empty: serve uses its own address)"
        },
    )
    outbox_poll_seconds: float = field(
        default=2.0, metadata={"doc": "how often the delivery loop looks for mail to send"}
    )
    outbox_max_attempts: int = field(
        default=10, metadata={"doc": "failed deliveries after which a message is marked dead"}
    )
    outbox_lease_seconds: float = field(
        default=30.0,
        metadata={
            "doc": "how long a dispatcher's claim on a message lasts, renewed while it works; "
            "a crashed dispatcher's mail is sent by another within it (keep it above "
            "smtp_timeout_seconds)"
        },
    )
    outbox_keep_days: int = field(
        default=7,
        metadata={
            "doc": "sent and dead messages (their texts already erased) are removed by the "
            "dispatcher after this many days; 0 keeps them"
        },
    )
    rate_limit_failure_mode: str = field(
        default="open",
        metadata={
            "doc": "open: while the rate-limit storage (Redis) is down, limits allow every "
            "request; closed: they refuse every limited request (see SECURITY.md)"
        },
    )
    outage_log_interval_seconds: float = field(
        default=60.0,
        metadata={
            "doc": "while a dependency (Redis, SMTP) is down, at most one log record per "
            "interval says so, with a count"
        },
    )
    trust_proxy: bool = field(
        default=False,
        metadata={
            "doc": "deprecated: trusted_proxies=127.0.0.0/8,::1 (honour X-Forwarded-* from a "
            "proxy on the same host only); ignored when trusted_proxies is set"
        },
    )
    trusted_proxies: str = field(
        default="",
        metadata={
            "doc": "addresses or networks of the reverse proxies (comma-separated, e.g. "
            "10.0.0.5,10.1.0.0/16): X-Forwarded-For/-Proto/-Host are honoured only from them, "
            "the client being the rightmost X-Forwarded-For entry that is not one of them"
        },
    )
    caller_cache_seconds: float = field(
        default=5.0,
        metadata={
            "doc": "how long a successful service-account login is remembered in memory "
            "(a changed secret or permission takes effect within it)"
        },
    )
    session_idle_minutes: int = field(
        default=15,
        metadata={
            "doc": "AuthenticationAdmin login sessions (JSESSIONID) end after this many minutes "
            "without a request"
        },
    )
    session_lifetime_minutes: int = field(
        default=480,
        metadata={"doc": "AuthenticationAdmin login sessions end this many minutes after login"},
    )
    max_body_bytes: int = field(
        default=1024 * 1024, metadata={"doc": "largest accepted request body, bytes (413 above)"}
    )
    bootstrap_account: str = field(
        default="",
        metadata={
            "doc": "NAME:PASSWORD of a service account (super tenant, every permission) created "
            "or reset at start",
            "secret": True,
        },
    )
    recovery_proof: str = field(
        default="either",
        metadata={
            "doc": "either: the mailed code or the challenge answers allow a password change; "
            "code_and_answers: both are needed (recommended: ASVS 2.5.2, NIST SP 800-63B)"
        },
    )
    notify_changes: bool = field(
        default=True,
        metadata={
            "doc": "mail the user after a password change or account confirmation "
            "(per tenant: recovery-soap tenant set DOMAIN --notify-changes off)"
        },
    )
    hide_user_existence: bool = field(
        default=False,
        metadata={
            "doc": "answer alike for existing and unknown users (recommended for public "
            "deployments; off for legacy clients that expect 18003 for unknown users)"
        },
    )
    email_change_verification: bool = field(
        default=False,
        metadata={
            "doc": "a user's own e-mail change (SCIM /Me) takes effect only once the code "
            "mailed to the new address is confirmed (POST /scim2/Me/emailVerification); "
            "the old address is told either way"
        },
    )
    require_https: bool = field(
        default=False,
        metadata={
            "doc": "refuse SOAP calls not made over HTTPS (as seen through a trusted "
            "proxy, see trusted_proxies)"
        },
    )
    lockout_failures: int = field(
        default=10,
        metadata={
            "doc": "failed code, answer or captcha attempts for one user, within "
            "lockout_window_minutes, that lock the user's recovery"
        },
    )
    lockout_window_minutes: int = field(
        default=60, metadata={"doc": "window in which failed attempts are counted, minutes"}
    )
    lockout_minutes: int = field(
        default=30, metadata={"doc": "how long a user's recovery stays locked, minutes"}
    )
    rate_limits: str = field(
        default="on",
        metadata={
            "doc": "on, or off to disable every rate limit (load tests, conformance runs only)"
        },
    )
    rate_limit_storage: str = field(
        default="memory://",
        metadata={"doc": "memory:// (one process) or redis://HOST:PORT (shared by workers)"},
    )
    rate_limit_namespace: str = field(
        default="recovery-soap", metadata={"doc": "key prefix of the limits in Redis"}
    )
    limit_mail_per_user: str = field(
        default="5/hour", metadata={"doc": "messages one user can be sent"}
    )
    limit_mail_per_address: str = field(
        default="100/hour", metadata={"doc": "mail-sending requests per client address"}
    )
    limit_checks_per_address: str = field(
        default="600/hour", metadata={"doc": "code, answer and captcha checks per client address"}
    )
    limit_failures_per_address: str = field(
        default="50/hour",
        metadata={"doc": "failed checks per client address, after which its checks are refused"},
    )
    limit_auth_failures_per_address: str = field(
        default="30/minute",
        metadata={"doc": "failed service-account logins per client address (then 429)"},
    )
    limit_captchas_per_address: str = field(
        default="300/hour",
        metadata={"doc": "captchas (getCaptcha) issued per client address"},
    )
    argon2_memory_kib: int = field(
        default=19456, metadata={"doc": "argon2id memory cost for passwords and answers, KiB"}
    )
    argon2_time_cost: int = field(
        # m=19456 KiB, t=3: about 28 ms per hash on the 2-core reference machine, inside the
        # 20-50 ms window and above OWASP's minimum (scripts/argon2-params.py measures it).
        default=3,
        metadata={"doc": "argon2id iterations for passwords and answers"},
    )
    log_level: str = field(default="INFO", metadata={"doc": "logging level"})
    log_format: str = field(
        default="text", metadata={"doc": "text (readable lines) or json (one object per line)"}
    )
    metrics: bool = field(
        default=True,
        metadata={"doc": "serve Prometheus metrics at /metrics (restrict it at the proxy)"},
    )
    token_minutes: int = field(
        default=60, metadata={"doc": "lifetime of the access tokens /oauth2/token issues, minutes"}
    )
    token_issuer: str = field(
        default="urn:recovery-soap",
        metadata={"doc": "iss claim of issued tokens (the same for every worker and host)"},
    )
    token_audience: str = field(
        default="recovery-soap", metadata={"doc": "aud claim of issued tokens, checked on use"}
    )
    rest_max_body_bytes: int = field(
        default=64 * 1024, metadata={"doc": "largest accepted REST request body, bytes (413)"}
    )
    oidc_jwks_url: str = field(
        default="",
        metadata={"doc": "JWKS URL of an external OpenID provider whose tokens are trusted too"},
    )
    oidc_issuer: str = field(default="", metadata={"doc": "iss the external tokens must carry"})
    oidc_audience: str = field(default="", metadata={"doc": "aud the external tokens must carry"})
    oidc_username_claim: str = field(
        default="sub", metadata={"doc": "claim of an external token naming the user"}
    )
    oidc_tenant: str = field(
        default="carbon.super", metadata={"doc": "tenant the external provider's users belong to"}
    )
    oidc_jwks_cache_seconds: float = field(
        default=300.0, metadata={"doc": "how long the external provider's JWKS is cached"}
    )

    def __post_init__(self) -> None:
        choices = {
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
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise SettingsError(f"{name} must be one of {', '.join(allowed)}")
        for name in ("recovery_code_minutes", "signup_code_minutes", "captcha_minutes"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be positive: codes never live forever")
        if not 1 <= self.password_min_length <= self.password_max_length:
            raise SettingsError("password_min_length must be between 1 and password_max_length")
        if self.token_minutes <= 0:
            raise SettingsError("token_minutes must be positive: tokens never live forever")
        if self.oidc_jwks_url and not (self.oidc_issuer and self.oidc_audience):
            raise SettingsError("oidc_jwks_url needs oidc_issuer and oidc_audience")
        if min(self.session_idle_minutes, self.session_lifetime_minutes) <= 0:
            raise SettingsError("the session minutes must be positive: sessions never live forever")
        if self.outbox_lease_seconds <= 0 or self.outage_log_interval_seconds <= 0:
            raise SettingsError(
                "outbox_lease_seconds and outage_log_interval_seconds must be positive"
            )
        if self.outbox_keep_days < 0:
            raise SettingsError("outbox_keep_days must be 0 (keep) or more")
        try:
            parse_networks(self.trusted_proxies)
        except ValueError as bad:
            raise SettingsError(f"trusted_proxies: {bad}") from None
        if self.max_body_bytes < 1024:
            raise SettingsError("max_body_bytes must be at least 1024")
        if min(self.lockout_failures, self.lockout_window_minutes, self.lockout_minutes) <= 0:
            raise SettingsError("lockout_failures and the lockout minutes must be positive")
        for name in [f.name for f in fields(self) if f.name.startswith("limit_")]:
            if not re.fullmatch(r"\d+\s*(/|per)\s*\d*\s*[a-z]+", getattr(self, name).strip()):
                raise SettingsError(f"{name} must be a rate such as 5/hour")
        if self.secret_key and len(self.secret_key.encode()) < MIN_SECRET_KEY_BYTES:
            raise SettingsError(
                f"secret_key must be at least {MIN_SECRET_KEY_BYTES} bytes "
                "(32 random characters or more; empty: one is generated and kept in the database)"
            )
        if bool(self.dkim_selector) != bool(self.dkim_key_file):
            raise SettingsError("dkim_selector and dkim_key_file go together")
        if self.log_level.upper() not in LOG_LEVELS:
            raise SettingsError(f"log_level must be one of {', '.join(LOG_LEVELS)}")
        scheme = self.rate_limit_storage.partition("://")[0]
        if "://" not in self.rate_limit_storage or scheme not in LIMIT_STORAGE_SCHEMES:
            raise SettingsError(
                "rate_limit_storage must be memory:// or a Redis URL "
                f"({', '.join(s + '://' for s in LIMIT_STORAGE_SCHEMES[1:])})"
            )

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


def _convert(name: str, kind: type, raw: Any) -> Any:
    if isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
        return raw
    text = str(raw).strip()
    try:
        if kind is bool:
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(text)
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
    except ValueError:
        raise SettingsError(f"{name}: {text!r} is not a valid {kind.__name__}") from None
    return text


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: str | os.PathLike[str] | None = None
) -> Settings:
    """Build settings from defaults, the config file (``RECOVERY_CONFIG``) and the environment."""
    environ = os.environ if environ is None else environ
    hints = get_type_hints(Settings)
    values: dict[str, Any] = {}
    path = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if path:
        data = _read_config_file(Path(path))
        known = {f.name for f in fields(Settings)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SettingsError(f"unknown settings in {path}: {', '.join(unknown)}")
        values.update(data)
    for f in fields(Settings):
        env_name = ENV_PREFIX + f.name.upper()
        if env_name in environ:
            values[f.name] = environ[env_name]
        if env_name + FILE_SUFFIX in environ and _may_come_from_file(f):
            if env_name in environ:
                raise SettingsError(f"{env_name} and {env_name}{FILE_SUFFIX} are both set")
            values[f.name] = _read_secret_file(env_name + FILE_SUFFIX, environ)
    converted = {name: _convert(name, hints[name], raw) for name, raw in values.items()}
    return Settings(**converted)


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise SettingsError(f"config file {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"config file {path} is not valid TOML: {error}") from None


def _may_come_from_file(f: dataclasses.Field[Any]) -> bool:
    """Secrets, and the database URL (it carries a password), may be read from a file."""
    return bool(f.metadata.get("secret")) or f.name == "database_url"


def _read_secret_file(variable: str, environ: Mapping[str, str]) -> str:
    try:
        return Path(environ[variable]).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise SettingsError(f"{variable}: cannot read {environ[variable]}: {reason}") from None


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """One warning per RECOVERY_* variable that names no setting (a typo is otherwise silently
    ignored), with the closest setting's variable when one is near."""
    environ = os.environ if environ is None else environ
    known = set(OTHER_VARIABLES)
    for f in fields(Settings):
        known.add(ENV_PREFIX + f.name.upper())
        if _may_come_from_file(f):
            known.add(ENV_PREFIX + f.name.upper() + FILE_SUFFIX)
    warnings = []
    candidates = [n for n in environ if n.startswith(ENV_PREFIX) and n not in known]
    for name in sorted(n for n in candidates if not n.startswith(OTHER_PREFIXES)):
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]}?" if close else ""
        warnings.append(f"{name} is not a setting and is ignored{hint}")
    return warnings


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
