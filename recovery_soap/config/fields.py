"""Every setting: its name, type, default and meaning, declared once.

A setting's environment variable is ``RECOVERY_`` plus its name in upper case, and its
config-file key is its name; ``secret`` marks the ones that may be read from a file and are
never shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def setting(default: T, doc: str, *, secret: bool = False) -> T:
    """A field with its documented meaning (docs/configuration.md is generated from it)."""
    metadata: dict[str, Any] = {"doc": doc, "secret": True} if secret else {"doc": doc}
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class SettingFields:
    """The settings' values; :class:`recovery_soap.config.Settings` adds the checks and uses."""

    database_url: str = setting(
        "sqlite:///./recovery.db",
        "SQLAlchemy URL: sqlite:///FILE or postgresql+psycopg://USER@HOST/DB",
    )
    captcha_verification: str = setting(
        "internal",
        "internal: operations taking a captcha check it; off: they ignore it",
    )
    notification_sending: str = setting(
        "internal",
        "internal: the service mails codes; external: codes come back in notificationData for "
        "the calling application to deliver",
    )
    lock_on_creation: bool = setting(
        True,
        "self-registered accounts stay locked until confirmed by the mailed code",
    )
    recovery_code_minutes: int = setting(10, "lifetime of recovery codes and keys, minutes")
    signup_code_minutes: int = setting(24 * 60, "lifetime of sign-up confirmation codes, minutes")
    captcha_minutes: int = setting(20, "lifetime of a captcha, minutes")
    saas_mode: bool = setting(False, "service accounts marked all-tenants may act for any tenant")
    password_min_length: int = setting(8, "shortest accepted password")
    password_max_length: int = setting(64, "longest accepted password")
    password_regex: str = setting("", "optional regular expression a password must match in full")
    password_policy_message: str = setting(
        "",
        "text shown when password_regex does not match (default: generic)",
    )
    challenge_answers_required: str = setting(
        "all",
        "all: a password change by challenge questions needs every question of the user "
        "answered; one: legacy compatibility, one right answer suffices",
    )
    secret_key: str = setting(
        "",
        "key for the keyed hashes of codes and service-account secrets; empty: one is generated "
        "and kept in the database on first start",
        secret=True,
    )
    smtp_host: str = setting("", "SMTP server; empty: mail stays in the outbox")
    smtp_port: int = setting(25, "SMTP port")
    smtp_security: str = setting("none", "none, starttls or ssl")
    smtp_user: str = setting("", "SMTP login; empty: no authentication")
    smtp_password: str = setting("", "SMTP password", secret=True)
    smtp_timeout_seconds: float = setting(10.0, "SMTP socket timeout")
    mail_from: str = setting("no-reply@localhost", "sender address of every message")
    mail_transport: str = setting(
        "smtp",
        "smtp: deliver through smtp_host; console: print each message on standard output "
        "instead (a laptop, serve --dev; never in production)",
    )
    dkim_selector: str = setting("", "DKIM selector; set with dkim_key_file to sign every mail")
    dkim_domain: str = setting("", "DKIM signing domain (default: the domain of mail_from)")
    dkim_key_file: str = setting("", "PEM file of the DKIM private key (RSA or Ed25519)")
    templates_dir: str = setting(
        "",
        "directory of mail templates overriding the shipped ones; a sub-directory per tenant "
        "domain overrides for that tenant",
    )
    link_base_url: str = setting(
        "",
        "URL of the page where users enter a code; mails then carry a link with code, user and "
        "tenant (per tenant: tenant.toml in templates_dir)",
    )
    pages: bool = setting(
        True,
        "serve the self-service pages at /accountrecoveryendpoint/ (off: SOAP and REST only)",
    )
    public_url: str = setting(
        "",
        "public base URL of this server; mails then link to its pages (link_base_url overrides; "
        "empty: serve uses its own address)",
    )
    outbox_poll_seconds: float = setting(2.0, "how often the delivery loop looks for mail to send")
    outbox_max_attempts: int = setting(10, "failed deliveries after which a message is marked dead")
    outbox_lease_seconds: float = setting(
        30.0,
        "how long a dispatcher's claim on a message lasts, renewed while it works; a crashed "
        "dispatcher's mail is sent by another within it (keep it above smtp_timeout_seconds)",
    )
    outbox_keep_days: int = setting(
        7,
        "sent and dead messages (their texts already erased) are removed by the dispatcher "
        "after this many days; 0 keeps them",
    )
    rate_limit_failure_mode: str = setting(
        "open",
        "open: while the rate-limit storage (Redis) is down, limits allow every request; "
        "closed: they refuse every limited request (see SECURITY.md)",
    )
    outage_log_interval_seconds: float = setting(
        60.0,
        "while a dependency (Redis, SMTP) is down, at most one log record per interval says so, "
        "with a count",
    )
    trust_proxy: bool = setting(
        False,
        "deprecated: trusted_proxies=127.0.0.0/8,::1 (honour X-Forwarded-* from a proxy on the "
        "same host only); ignored when trusted_proxies is set",
    )
    trusted_proxies: str = setting(
        "",
        "addresses or networks of the reverse proxies (comma-separated, e.g. "
        "10.0.0.5,10.1.0.0/16): X-Forwarded-For/-Proto/-Host are honoured only from them, the "
        "client being the rightmost X-Forwarded-For entry that is not one of them",
    )
    caller_cache_seconds: float = setting(
        5.0,
        "how long a successful service-account login is remembered in memory (a changed secret "
        "or permission takes effect within it)",
    )
    session_idle_minutes: int = setting(
        15,
        "AuthenticationAdmin login sessions (JSESSIONID) end after this many minutes without a "
        "request",
    )
    session_lifetime_minutes: int = setting(
        480,
        "AuthenticationAdmin login sessions end this many minutes after login",
    )
    max_body_bytes: int = setting(1024 * 1024, "largest accepted request body, bytes (413 above)")
    bootstrap_account: str = setting(
        "",
        "NAME:PASSWORD of a service account (super tenant, every permission) created or reset "
        "at start",
        secret=True,
    )
    recovery_proof: str = setting(
        "either",
        "either: the mailed code or the challenge answers allow a password change; "
        "code_and_answers: both are needed (recommended: ASVS 2.5.2, NIST SP 800-63B)",
    )
    notify_changes: bool = setting(
        True,
        "mail the user after a password change or account confirmation (per tenant: "
        "recovery-soap tenant set DOMAIN --notify-changes off)",
    )
    hide_user_existence: bool = setting(
        False,
        "answer alike for existing and unknown users (recommended for public deployments; off "
        "for legacy clients that expect 18003 for unknown users)",
    )
    email_change_verification: bool = setting(
        False,
        "a user's own e-mail change (SCIM /Me) takes effect only once the code mailed to the "
        "new address is confirmed (POST /scim2/Me/emailVerification); the old address is told "
        "either way",
    )
    require_https: bool = setting(
        False,
        "refuse SOAP calls not made over HTTPS (as seen through a trusted proxy, see "
        "trusted_proxies)",
    )
    lockout_failures: int = setting(
        10,
        "failed code, answer or captcha attempts for one user, within lockout_window_minutes, "
        "that lock the user's recovery",
    )
    lockout_window_minutes: int = setting(
        60,
        "window in which failed attempts are counted, minutes",
    )
    lockout_minutes: int = setting(30, "how long a user's recovery stays locked, minutes")
    rate_limits: str = setting(
        "on",
        "on, or off to disable every rate limit (load tests, conformance runs only)",
    )
    rate_limit_storage: str = setting(
        "memory://",
        "memory:// (one process) or redis://HOST:PORT (shared by workers)",
    )
    rate_limit_namespace: str = setting("recovery-soap", "key prefix of the limits in Redis")
    limit_mail_per_user: str = setting("5/hour", "messages one user can be sent")
    limit_mail_per_address: str = setting("100/hour", "mail-sending requests per client address")
    limit_checks_per_address: str = setting(
        "600/hour",
        "code, answer and captcha checks per client address",
    )
    limit_failures_per_address: str = setting(
        "50/hour",
        "failed checks per client address, after which its checks are refused",
    )
    limit_auth_failures_per_address: str = setting(
        "30/minute",
        "failed service-account logins per client address (then 429)",
    )
    limit_captchas_per_address: str = setting(
        "300/hour",
        "captchas (getCaptcha) issued per client address",
    )
    argon2_memory_kib: int = setting(19456, "argon2id memory cost for passwords and answers, KiB")
    argon2_time_cost: int = setting(
        # m=19456 KiB, t=3: about 28 ms per hash on the 2-core reference machine, inside the
        # 20-50 ms window and above OWASP's minimum (scripts/argon2-params.py measures it).
        3,
        "argon2id iterations for passwords and answers",
    )
    log_level: str = setting("INFO", "logging level")
    log_format: str = setting("text", "text (readable lines) or json (one object per line)")
    metrics: bool = setting(True, "serve Prometheus metrics at /metrics (restrict it at the proxy)")
    token_minutes: int = setting(60, "lifetime of the access tokens /oauth2/token issues, minutes")
    token_issuer: str = setting(
        "urn:recovery-soap",
        "iss claim of issued tokens (the same for every worker and host)",
    )
    token_audience: str = setting("recovery-soap", "aud claim of issued tokens, checked on use")
    rest_max_body_bytes: int = setting(64 * 1024, "largest accepted REST request body, bytes (413)")
    oidc_jwks_url: str = setting(
        "",
        "JWKS URL of an external OpenID provider whose tokens are trusted too",
    )
    oidc_issuer: str = setting("", "iss the external tokens must carry")
    oidc_audience: str = setting("", "aud the external tokens must carry")
    oidc_username_claim: str = setting("sub", "claim of an external token naming the user")
    oidc_tenant: str = setting("carbon.super", "tenant the external provider's users belong to")
    oidc_jwks_cache_seconds: float = setting(
        300.0,
        "how long the external provider's JWKS is cached",
    )
