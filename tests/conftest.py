"""Fixtures: the database backend of this run, live servers on loopback, SMTP, zeep clients.

The backend is chosen per run by RECOVERY_TEST_BACKEND (sqlite, the default, or postgresql);
PostgreSQL is reached at RECOVERY_TEST_POSTGRES_URL (default: postgres@127.0.0.1:5432/test),
each run in a schema of its own. Under CI=true a missing PostgreSQL fails the run.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import waitress
import zeep
from sqlalchemy import create_engine, text
from waitress import wasyncore
from zeep.transports import Transport

from recovery_soap.app import RecoveryApp, create_app
from recovery_soap.config import Settings
from recovery_soap.store import schema
from recovery_soap.store.db import make_engine
from tests.support import (
    CODE,
    KNOWN_SECRETS,
    CaptchaTexts,
    MovableClock,
    SmtpServer,
    wait_until_up,
)

BACKEND = os.environ.get("RECOVERY_TEST_BACKEND", "sqlite")
POSTGRES_URL = os.environ.get(
    "RECOVERY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ACCOUNT = ("test-admin", "test-admin-secret-0123456789")
FAST_HASH = {"argon2_memory_kib": 1024, "argon2_time_cost": 1}
_real_connect = socket.socket.connect


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches beyond this machine."""

    def guarded(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in ("127.0.0.1", "::1", "localhost") and not host.startswith("127."):
                raise OSError(f"tests may not connect to {host}")
        return _real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _postgres_schema_url() -> Iterator[str]:
    admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 5})
    name = f"rs_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means no usable server
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated database for the whole run; tests use fresh names, never shared rows."""
    if BACKEND == "postgresql":
        urls = _postgres_schema_url()
        url = next(urls)
    else:
        urls = None
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'recovery.db'}"
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    yield url
    if urls is not None:
        for _ in urls:
            pass


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary SQLite database for in-process command-line runs (fast hashing)."""
    path = tmp_path / "cli.db"
    monkeypatch.setenv("RECOVERY_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("RECOVERY_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("RECOVERY_ARGON2_TIME_COST", "1")
    return path


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def base_settings(database_url: str, smtp: SmtpServer) -> Settings:
    return Settings(
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        mail_from="recovery@example.test",
        bootstrap_account=f"{ACCOUNT[0]}:{ACCOUNT[1]}",
        **FAST_HASH,
    )


@dataclass
class LiveServer:
    """A real HTTP server on 127.0.0.1 serving create_app(...), with handles tests need."""

    url: str
    app: RecoveryApp
    clock: MovableClock
    captcha: CaptchaTexts
    smtp: SmtpServer
    auth: tuple[str, str] = ACCOUNT

    def client(self, *, soap12: bool = False, auth: tuple[str, str] | None = None) -> Any:
        """A zeep client generated from the served WSDL, bound to the SOAP 1.1 or 1.2 port."""
        session = requests.Session()
        session.auth = auth or self.auth
        transport = Transport(session=session, timeout=30, operation_timeout=30)
        client = zeep.Client(
            f"{self.url}/services/UserInformationRecoveryService?wsdl", transport=transport
        )
        binding = "Soap12Binding" if soap12 else "Soap11Binding"
        return client.create_service(
            f"{{http://services.mgt.identity.carbon.wso2.org}}UserInformationRecoveryService{binding}",
            f"{self.url}/services/UserInformationRecoveryService",
        )

    def deliver_mail(self) -> None:
        """Run the same delivery code `serve` runs in the background, once."""
        self.app.dispatcher.deliver_due(limit=1000)

    def solve_captcha(self, service: Any) -> dict[str, str]:
        bean = service.getCaptcha()
        return {
            "imagePath": bean.imagePath,
            "secretKey": bean.secretKey,
            "userAnswer": self.captcha.last,
        }


@pytest.fixture
def serve(base_settings: Settings, smtp: SmtpServer) -> Iterator[Callable[..., LiveServer]]:
    """Start a live server with settings overrides: ``serve(captcha_verification="off")``."""
    servers: list[Any] = []

    def start(**overrides: Any) -> LiveServer:
        clock, captcha = MovableClock(), CaptchaTexts()
        app = create_app(base_settings.replace(**overrides), clock=clock, captcha_text=captcha)
        server = waitress.create_server(
            app, host="127.0.0.1", port=0, threads=8, clear_untrusted_proxy_headers=True
        )
        stop = threading.Event()

        def run() -> None:
            while not stop.is_set():
                wasyncore.loop(timeout=0.05, map=server._map, count=1)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        servers.append((server, thread, stop, app))
        port = server.effective_port
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url)
        return LiveServer(url=url, app=app, clock=clock, captcha=captcha, smtp=smtp)

    try:
        yield start
    finally:
        for server, thread, stop, app in servers:
            stop.set()
            thread.join(timeout=5)
            server.task_dispatcher.shutdown()
            wasyncore.close_all(server._map)
            app.engine.dispose()


@pytest.fixture
def live(serve: Callable[..., LiveServer]) -> LiveServer:
    """The service with its defaults: captcha checked, mail sent internally, lock on creation."""
    return serve()


@pytest.fixture
def external(serve: Callable[..., LiveServer]) -> LiveServer:
    """Captcha off and external notification sending: the conformance configuration."""
    return serve(captcha_verification="off", notification_sending="external")


def unique(prefix: str = "user") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


# --- log hygiene: every record the whole run writes is kept and scanned for secrets at the end ---

#: The server side's loggers; the test clients (zeep, the SMTP server) log what they send.
SERVER_SIDE = (
    "recovery_soap",
    "spyne",
    "waitress",
    "sqlalchemy",
    "alembic",
    "passlib",
    "limits",
    "root",
)
_records: list[logging.LogRecord] = []


class _KeepAll(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(SERVER_SIDE):
            _records.append(record)


def pytest_configure(config: pytest.Config) -> None:
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(_KeepAll(level=logging.DEBUG))
    logging.getLogger("recovery_soap").setLevel(logging.DEBUG)


def leaked_secrets(records: list[logging.LogRecord]) -> list[str]:
    """Records that carry a code-shaped value or a secret the tests used."""
    leaks = []
    for record in records:
        text_ = record.getMessage()
        if record.exc_info:
            text_ += logging.Formatter().formatException(record.exc_info)
        if CODE.search(text_) or any(secret in text_ for secret in KNOWN_SECRETS):
            leaks.append(f"{record.name}: {text_[:200]}")
    return leaks


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    leaks = leaked_secrets(_records)
    if leaks:
        print("\nSECRETS IN LOGS:\n" + "\n".join(leaks[:20]))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
