"""The WSGI application: ``create_app(settings)`` wires the store, the core and the faces.

Nothing is built at import time; the module-level ``application`` (for gunicorn, mod_wsgi,
uWSGI) builds itself from the environment on its first request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from recovery_soap import logs, observe
from recovery_soap.captcha_images import render_jpeg
from recovery_soap.composition import (
    Database,
    SchemaOutdated,
    audit_counts,
    database_ping,
    key_ring,
    outbox_queue,
)
from recovery_soap.composition import (
    prepare_database as prepare_database,  # also the commands' way in (cli, importer)
)
from recovery_soap.config import Settings, SettingsError, load_settings
from recovery_soap.core import admin, callers
from recovery_soap.core.captcha import IMAGE_DIRECTORY, captcha_image, random_text
from recovery_soap.core.clock import SystemClock
from recovery_soap.core.code_secrets import KeyedHasher
from recovery_soap.core.errors import Unavailable
from recovery_soap.core.model import SUPER_TENANT
from recovery_soap.core.passwords import PasswordPolicy, SlowHasher
from recovery_soap.core.ports import Clock
from recovery_soap.core.services import Policy, Services
from recovery_soap.forwarded import TrustedProxies
from recovery_soap.health import Health
from recovery_soap.notify.dispatcher import Dispatcher
from recovery_soap.notify.smtp import sender_for
from recovery_soap.notify.templates import TemplateRenderer
from recovery_soap.ratelimit import limiter_from
from recovery_soap.soap.authentication_front import AUTH_PATHS, AuthenticationAdminEndpoint
from recovery_soap.soap.edge import BASE_PATH, SERVICE_PATHS, SoapEdge, plain
from recovery_soap.store.sealing import sealer_for
from recovery_soap.store.server_key import server_key
from recovery_soap.store.uow import uow_factory

log = logging.getLogger("recovery_soap")
StartResponse = Callable[..., Any]
IMAGE_PREFIX = f"/{IMAGE_DIRECTORY}/"
#: Paths answered by the REST faces (recovery_soap.rest.edge), matched without importing it.
REST_PREFIXES = ("/oauth2/", "/scim2", "/t/", "/api/am/user/subscriber")
#: The self-service pages (recovery_soap.pages), at the legacy account-recovery web app's path.
PAGES_PREFIX = "/accountrecoveryendpoint/"


def _is_rest_path(path: str) -> bool:
    if path.startswith("/t/"):
        tenant, _, rest = path[3:].partition("/")
        return bool(tenant) and (rest == "scim2" or rest.startswith("scim2/"))
    if path.startswith("/scim2"):
        return path == "/scim2" or path.startswith("/scim2/")
    if path.startswith("/api/am/user/subscriber"):
        tail = path[len("/api/am/user/subscriber") :]
        return tail == "" or tail.startswith("/")
    return True


def _is_page_path(path: str) -> bool:
    """/accountrecoveryendpoint/... or /t/<tenant>/accountrecoveryendpoint/..."""
    if path.startswith("/t/"):
        path = "/" + path[3:].partition("/")[2]
    return path.startswith(PAGES_PREFIX)


def policy_from(settings: Settings) -> Policy:
    return Policy(
        captcha_checked=settings.captcha_checked,
        notifications_external=settings.notifications_external,
        lock_on_creation=settings.lock_on_creation,
        saas_mode=settings.saas_mode,
        recovery_code_ttl=timedelta(minutes=settings.recovery_code_minutes),
        signup_code_ttl=timedelta(minutes=settings.signup_code_minutes),
        captcha_ttl=timedelta(minutes=settings.captcha_minutes),
        all_answers_required=settings.challenge_answers_required == "all",
        code_and_answers_required=settings.recovery_proof == "code_and_answers",
        notify_changes=settings.notify_changes,
        hide_user_existence=settings.hide_user_existence,
        email_change_verified=settings.email_change_verification,
        lockout_failures=settings.lockout_failures,
        lockout_window=timedelta(minutes=settings.lockout_window_minutes),
        lockout_duration=timedelta(minutes=settings.lockout_minutes),
        session_idle=timedelta(minutes=settings.session_idle_minutes),
        session_lifetime=timedelta(minutes=settings.session_lifetime_minutes),
        passwords=PasswordPolicy(
            min_length=settings.password_min_length,
            max_length=settings.password_max_length,
            regex=settings.password_regex,
            regex_message=settings.password_policy_message,
        ),
    )


def build_services(
    settings: Settings,
    engine: Database,
    *,
    clock: Clock | None = None,
    captcha_text: Callable[[], str] | None = None,
) -> Services:
    return Services(
        uow=uow_factory(engine, sealer_for(engine, settings.secret_key)),
        clock=clock or SystemClock(),
        keyed=KeyedHasher(server_key(engine, settings.secret_key)),
        slow=SlowHasher(settings.argon2_memory_kib, settings.argon2_time_cost),
        render_message=TemplateRenderer(settings),
        render_captcha=render_jpeg,
        captcha_text=captcha_text or random_text,
        policy=policy_from(settings),
        limiter=limiter_from(settings),
        callers=callers.CallerCache(ttl=settings.caller_cache_seconds),
    )


def apply_bootstrap_account(env: Services, spec: str) -> str:
    """Create or reset the NAME:PASSWORD service account (super tenant, every permission)."""
    name, sep, secret = spec.partition(":")
    if not sep:
        raise ValueError("the bootstrap account must be given as NAME:PASSWORD")
    with env.uow() as uow:
        callers.put_account(
            env,
            uow,
            name,
            secret,
            admin.tenant(uow, SUPER_TENANT),
            callers.ALL_PERMISSIONS,
            all_tenants=True,
        )
        uow.commit()
    return name


class RecoveryApp:
    """The WSGI callable: routes to the SOAP endpoint, captcha images and health checks."""

    def __init__(
        self, settings: Settings, engine: Database, env: Services, dispatcher: Dispatcher
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.env = env
        self.dispatcher = dispatcher
        proxies = TrustedProxies.from_settings(settings)
        self.soap = SoapEdge(
            env,
            max_body=settings.max_body_bytes,
            proxies=proxies,
            require_https=settings.require_https,
        )
        self.authentication = AuthenticationAdminEndpoint(
            env,
            max_body=settings.max_body_bytes,
            proxies=proxies,
            require_https=settings.require_https,
        )
        self._rest: Any = None
        self._rest_lock = threading.Lock()
        self._pages: Any = None
        self.health = Health(
            settings,
            database_ping(engine),
            getattr(env.limiter, "reachable", None),
            dispatcher.outbox_counts,
        )

    @property
    def rest(self) -> Any:
        """The REST faces, built on the first REST request: a worker serving only SOAP never
        imports werkzeug, joserfc or pydantic."""
        if self._rest is None:
            with self._rest_lock:
                if self._rest is None:
                    from recovery_soap.rest.edge import RestEdge

                    self._rest = RestEdge(
                        self.settings,
                        self.env,
                        key_ring(self.engine, self.settings, self.env.clock),
                        audit_counts(self.engine),
                    )
        return self._rest

    @property
    def pages(self) -> Any:
        """The self-service pages, built on the first page request (a SOAP-only worker never
        imports them, nor Babel)."""
        if self._pages is None:
            with self._rest_lock:
                if self._pages is None:
                    from recovery_soap.pages.edge import PagesEdge

                    self._pages = PagesEdge(self.settings, self.env)
        return self._pages

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path in SERVICE_PATHS:
            return self.soap(environ, observe.counting_refusals(start_response, method, path))
        if path in AUTH_PATHS:
            counted = observe.counting_refusals(start_response, method, path)
            return self.authentication(environ, counted)
        if path.startswith(BASE_PATH):
            return plain(start_response, "404 Not Found", "Not found.")
        if self.settings.pages and _is_page_path(path):
            return self.pages(environ, start_response)  # type: ignore[no-any-return]
        if path.startswith(REST_PREFIXES) and _is_rest_path(path):
            try:
                return self.rest(environ, start_response)  # type: ignore[no-any-return]
            except Unavailable:
                return plain(start_response, "503 Service Unavailable", "temporarily unavailable")
        if method not in ("GET", "HEAD"):
            return plain(
                start_response, "405 Method Not Allowed", "Method not allowed.", [("Allow", "GET")]
            )
        return self._read(path, start_response)

    def _read(self, path: str, start_response: StartResponse) -> Iterable[bytes]:
        """The GET (and HEAD) paths: health, readiness, metrics and captcha images."""
        if path == "/healthz":
            return plain(start_response, "200 OK", "ok")
        if path == "/readyz":
            return self._ready(start_response)
        if path == "/healthz/details" and self.settings.metrics:
            body = self.health.details()
            start_response(
                "200 OK",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        if path == "/metrics" and self.settings.metrics:
            body, content_type = observe.exposition(self.dispatcher.outbox_counts, self.health)
            start_response(
                "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))]
            )
            return [body]
        if path.startswith(IMAGE_PREFIX) and path.endswith(".jpg"):
            return self._captcha(path[len(IMAGE_PREFIX) : -4], start_response)
        return plain(start_response, "404 Not Found", "Not found.")

    def _ready(self, start_response: StartResponse) -> list[bytes]:
        """Ready when the database answers; Redis and SMTP outages are reported, not failed."""
        ready, body = self.health.readiness()
        if ready:
            return plain(start_response, "200 OK", body)
        return plain(start_response, "503 Service Unavailable", body)

    def _captcha(self, image_id: str, start_response: StartResponse) -> list[bytes]:
        try:
            image = (
                captcha_image(self.env, image_id) if image_id.replace("-", "").isalnum() else None
            )
        except Unavailable:
            return plain(start_response, "503 Service Unavailable", "temporarily unavailable")
        if image is None:
            return plain(start_response, "404 Not Found", "Not found.")
        start_response(
            "200 OK",
            [
                ("Content-Type", "image/jpeg"),
                ("Content-Length", str(len(image))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [image]


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    captcha_text: Callable[[], str] | None = None,
) -> RecoveryApp:
    settings = settings or load_settings()
    logs.quiet_third_party()
    engine = prepare_database(settings)
    env = build_services(settings, engine, clock=clock, captcha_text=captcha_text)
    if settings.bootstrap_account:
        apply_bootstrap_account(env, settings.bootstrap_account)
    dispatcher = Dispatcher(
        outbox_queue(engine, settings), sender_for(settings), env.clock, settings
    )
    return RecoveryApp(settings, engine, env, dispatcher)


class LazyApplication:
    """The module-level WSGI entry point: built from RECOVERY_* settings on first use. While it
    cannot be built (database unreachable or not migrated, a wrong setting), requests get the
    answers of NotReady and a new attempt is made every RETRY_SECONDS."""

    RETRY_SECONDS = 2.0

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._app: RecoveryApp | None = None
        self._lock = threading.Lock()
        self._not_ready: Any = None
        self._next_try = 0.0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self._app is None:
            with self._lock:
                if self._app is None and time.monotonic() >= self._next_try:
                    self._build()
            if self._app is None:
                return self._not_ready(environ, start_response)  # type: ignore[no-any-return]
        return self._app(environ, start_response)

    def _build(self) -> None:
        from recovery_soap.not_ready import NotReady

        try:
            self._app = create_app(self._settings)
        except (SchemaOutdated, Unavailable, SettingsError) as error:
            reason = str(error)
            if self._not_ready is None or self._not_ready.reason != reason:
                log.error(
                    "cannot serve yet: %s (trying again every %.0f s)", reason, self.RETRY_SECONDS
                )
            self._not_ready = NotReady(reason)
            self._next_try = time.monotonic() + self.RETRY_SECONDS


application = LazyApplication()
