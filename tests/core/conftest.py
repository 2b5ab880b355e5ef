"""Fixtures for calling the core's use cases directly: no HTTP, no SOAP, no server.

Each test gets its own SQLite database (a copy of one migrated at the start of the run), the
environment the application builds on it (``build_services``), a clock that stands still until a
test moves it, codes and secrets from a counter instead of the system's random source, rate
limits with budgets a test sets, and the outbox read back through the store.

Randomness is the environment's ``random`` port (``core.ports.RandomSource``): the tests give it
a counter, so every code a use case issues is known in advance.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from recovery_soap.app import build_services, prepare_database
from recovery_soap.config import Settings
from recovery_soap.core import registration
from recovery_soap.core.captcha import new_captcha
from recovery_soap.core.model import (
    SUPER_TENANT,
    Caller,
    CaptchaInput,
    Limit,
    Permission,
    Tenant,
    User,
    Verification,
)
from recovery_soap.core.services import Services
from recovery_soap.notify.templates import TemplateRenderer
from recovery_soap.store.db import make_engine, opened
from recovery_soap.store.outbox_queue import OutboxQueue, QueuedMessage
from recovery_soap.store.sealing import sealer_for
from tests.support import EMAIL, GIVEN, LAST, Q1, Q2, SET1, SET2  # noqa: F401 - re-exported

ANSWERS = {SET1: "Kandy", SET2: "Rugby"}
PASSWORD = "Core#Start123"
NEW_PASSWORD = "Core#Changed456"
START = datetime(2030, 1, 15, 9, 0, 0)
SECRET_KEY = "core-tests-server-key-0123456789abcdef"
CODE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
#: Cheap argon2 parameters, as the rest of the suite uses (tests/conftest.py FAST_HASH).
FAST_HASH = {"argon2_memory_kib": 1024, "argon2_time_cost": 1}
ADDRESS = "192.0.2.10"
SHARED_MEMORY = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


class FixedClock:
    """Stands still at ``at`` until a test advances it."""

    def __init__(self, at: datetime = START) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at += timedelta(**kwargs)


class KnownRandom:
    """Codes and secrets from a counter: every run issues the same ones, in the same order."""

    def __init__(self) -> None:
        self.count = 0
        self.issued: list[str] = []

    def code(self) -> str:
        self.count += 1
        value = f"{self.count:08x}-c0de-4000-8000-{self.count:012x}"
        self.issued.append(value)
        return value

    def secret(self) -> str:
        self.count += 1
        return f"known-secret-{self.count:043d}"


class BudgetLimiter:
    """Rate limits by count, not by time: each limit allows ``budget[limit]`` hits per
    identifier (unlimited when not set)."""

    def __init__(self) -> None:
        self.budget: dict[Limit, int] = {}
        self.hits: Counter[tuple[Limit, tuple[str, ...]]] = Counter()

    def allow(self, limit: Limit, *identifiers: str) -> bool:
        if self.exhausted(limit, *identifiers):
            return False
        self.hits[(limit, identifiers)] += 1
        return True

    def exhausted(self, limit: Limit, *identifiers: str) -> bool:
        cap = self.budget.get(limit)
        return cap is not None and self.hits[(limit, identifiers)] >= cap


class Mail:
    """The outbox as the dispatcher reads it (through the store, texts unsealed), never sent."""

    def __init__(self, engine: Engine) -> None:
        self._queue = OutboxQueue(engine, sealer_for(engine, SECRET_KEY))
        self._seen: dict[int, QueuedMessage] = {}
        self._tick = 0

    def messages(self) -> list[QueuedMessage]:
        # A lease of zero at an ever later moment: every pending message is read each time.
        self._tick += 1
        moment = datetime(2999, 1, 1) + timedelta(seconds=self._tick)
        for message in self._queue.claim(moment, timedelta(0), limit=10_000):
            self._seen[message.id] = message
        return [self._seen[key] for key in sorted(self._seen)]

    def to(self, address: str) -> list[QueuedMessage]:
        return [m for m in self.messages() if m.recipient == address]

    def kinds(self, address: str) -> list[str]:
        return [m.kind for m in self.to(address)]

    def last_code(self, address: str) -> str:
        for message in reversed(self.to(address)):
            found = CODE.findall(message.body)
            if found:
                return str(found[-1])
        raise AssertionError(f"no mail with a code for {address}")


class CaptchaTexts:
    """The text of each captcha, known to the test."""

    def __init__(self) -> None:
        self.count = 0
        self.last = ""

    def __call__(self) -> str:
        self.count += 1
        self.last = f"CAP{self.count:03d}".replace("0", "Q").replace("1", "W")
        return self.last


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated once; each test works on a copy of it."""
    path = tmp_path_factory.mktemp("core-template") / "template.db"
    engine = prepare_database(Settings(database_url=f"sqlite:///{path}", secret_key=SECRET_KEY))
    engine.dispose()
    return path


@pytest.fixture
def engine(migrated: Path, tmp_path: Path) -> Iterator[Engine]:
    """A copy of the migrated database, in memory-backed files where the system has them
    (SQLite's syncs to disk would cost more than the tests)."""
    folder = Path(tempfile.mkdtemp(dir=SHARED_MEMORY)) if SHARED_MEMORY else tmp_path
    path = folder / "core.db"
    shutil.copy(migrated, path)
    made = opened(make_engine(f"sqlite:///{path}"))
    yield made
    made.dispose()
    if SHARED_MEMORY:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def known() -> KnownRandom:
    """Codes and secrets from a counter, given to the environment as its random source."""
    return KnownRandom()


@pytest.fixture
def limiter() -> BudgetLimiter:
    return BudgetLimiter()


@pytest.fixture
def captcha_texts() -> CaptchaTexts:
    return CaptchaTexts()


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(
        database_url=str(engine.url),
        secret_key=SECRET_KEY,
        mail_from="recovery@example.test",
        **FAST_HASH,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
def renderer() -> TemplateRenderer:
    """The mail templates, compiled once for the run (they do not depend on the database)."""
    return TemplateRenderer(Settings(secret_key=SECRET_KEY, mail_from="recovery@example.test"))


@pytest.fixture
def env(
    settings: Settings,
    engine: Engine,
    clock: FixedClock,
    known: KnownRandom,
    limiter: BudgetLimiter,
    captcha_texts: CaptchaTexts,
    renderer: TemplateRenderer,
) -> Services:
    """The environment ``create_app`` builds (captcha checked, mail sent internally, lock on
    creation), with the test's clock, random source and limits."""
    built = build_services(settings, engine, clock=clock, captcha_text=captcha_texts)
    return dataclasses.replace(built, limiter=limiter, render_message=renderer, random=known)


@pytest.fixture
def mail(engine: Engine) -> Mail:
    return Mail(engine)


@pytest.fixture
def super_tenant(env: Services) -> Tenant:
    with env.uow(readonly=True) as uow:
        found = uow.tenants.by_domain(SUPER_TENANT)
    assert found is not None
    return found


@pytest.fixture
def caller(super_tenant: Tenant) -> Caller:
    """A service account of the super tenant holding every right."""
    return Caller(
        account="core-tests",
        tenant=super_tenant,
        permissions=frozenset(Permission),
        client_address=ADDRESS,
    )


def with_policy(env: Services, **changes: Any) -> Services:
    """The same environment under other behaviour switches (core.services.Policy fields)."""
    return dataclasses.replace(env, policy=dataclasses.replace(env.policy, **changes))


def lacking(caller: Caller, right: Permission) -> Caller:
    return dataclasses.replace(caller, permissions=caller.permissions - {right})


def solved(env: Services, caller: Caller, texts: CaptchaTexts) -> CaptchaInput:
    """A fresh captcha, answered right."""
    challenge = new_captcha(env, caller)
    return CaptchaInput(secret_key=challenge.secret_key, user_answer=texts.last)


def claims_for(name: str, *, answers: bool = False) -> list[tuple[str | None, str | None]]:
    found: list[tuple[str | None, str | None]] = [
        (EMAIL, f"{name}@example.test"),
        (GIVEN, "Core"),
        (LAST, "Tester"),
    ]
    if answers:
        found += [(SET1, f"{Q1}!{ANSWERS[SET1]}"), (SET2, f"{Q2}!{ANSWERS[SET2]}")]
    return found


def register(env: Services, caller: Caller, name: str, *, answers: bool = False) -> Verification:
    return registration.register_user(
        env, caller, name, PASSWORD, claims_for(name, answers=answers), "default", None
    )


def confirmed_user(
    env: Services, caller: Caller, mail: Mail, name: str, *, answers: bool = False
) -> User:
    """Register ``name`` and confirm it with the mailed code, as a person would."""
    plain = with_policy(env, captcha_checked=False)
    register(plain, caller, name, answers=answers)
    code = mail.last_code(f"{name}@example.test")
    registration.confirm_registration(plain, caller, name, code, None, None)
    return stored_user(env, caller.tenant, name)


def stored_user(env: Services, tenant: Tenant, name: str) -> User:
    with env.uow(readonly=True) as uow:
        user = uow.users.get(tenant, name)
    assert user is not None, name
    return user


def audit_events(engine: Engine) -> list[tuple[str, str, str | None]]:
    """(event, outcome, username) of every audit record, oldest first."""
    from sqlalchemy import select

    from recovery_soap.store.models import AuditRow

    table = AuditRow.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.c.event, table.c.outcome, table.c.username).order_by(table.c.id)
        )
        return [(r.event, r.outcome, r.username) for r in rows]


def login_ok(env: Services, caller: Caller, name: str, password: str) -> bool:
    """Whether ``password`` is the stored user's (checked as a login checks it; an upgraded
    hash is not kept: nothing is committed)."""
    from recovery_soap.core.credentials import check_password

    with env.uow() as uow:
        return check_password(env, uow, stored_user(env, caller.tenant, name), password)
