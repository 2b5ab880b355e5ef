"""One operation, one transaction: when a step fails part-way (here the outbox insert, made to
fail by a database trigger), nothing of the operation remains: no user, no code, no message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import zeep
from sqlalchemy import text

from recovery_soap.store.db import make_engine
from tests import conftest
from tests.conftest import BACKEND, LiveServer, unique
from tests.soap.flows import PASSWORD, claims_for

SQLITE_TRIGGER = """
CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox
WHEN NEW.recipient LIKE 'fail-outbox-%'
BEGIN SELECT RAISE(ABORT, 'injected outbox failure'); END
"""
POSTGRES_TRIGGER = [
    """CREATE FUNCTION fail_outbox() RETURNS trigger AS $$
    BEGIN
      IF NEW.recipient LIKE 'fail-outbox-%' THEN RAISE EXCEPTION 'injected outbox failure'; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION fail_outbox()""",
]


@pytest.fixture
def failing_outbox(database_url: str) -> Iterator[None]:
    engine = make_engine(database_url)
    statements = POSTGRES_TRIGGER if BACKEND == "postgresql" else [SQLITE_TRIGGER]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("DROP TRIGGER fail_outbox" + (" ON outbox" if BACKEND == "postgresql" else ""))
            )
            if BACKEND == "postgresql":
                connection.execute(text("DROP FUNCTION fail_outbox()"))
        engine.dispose()


def count(live: LiveServer, sql: str, **params: str) -> int:
    with live.app.engine.connect() as connection:
        return int(connection.execute(text(sql), params).scalar_one())


def test_failed_message_leaves_no_half_created_user(live: LiveServer, failing_outbox) -> None:
    service = live.client()
    name = unique()
    claims = [
        {
            "claimUri": "http://wso2.org/claims/emailaddress",
            "claimValue": f"fail-outbox-{name}@example.test",
        }
    ]
    seen = len(conftest._records)
    with pytest.raises(zeep.exceptions.Fault) as fault:
        service.registerUser(
            userName=name, password=PASSWORD, claims=claims, profileName="default", tenantDomain=""
        )
    assert "injected" not in fault.value.message  # no internals to the client
    # Regression: the logged database error once carried the message body, with its code.
    logged = conftest._records[seen:]
    assert any("registerUser failed" in r.getMessage() for r in logged)
    assert not conftest.leaked_secrets(logged)
    assert count(live, "SELECT count(*) FROM users WHERE username = :n", n=name) == 0
    assert (
        count(
            live,
            "SELECT count(*) FROM codes c JOIN users u ON u.id = c.user_id WHERE u.username = :n",
            n=name,
        )
        == 0
    )
    # The name is still free: registering it properly works.
    bean = service.registerUser(
        userName=name,
        password=PASSWORD,
        claims=claims_for(name),
        profileName="default",
        tenantDomain="",
    )
    assert bean.verified, bean.error


def test_failed_message_leaves_the_key_unspent(serve, failing_outbox) -> None:
    live = serve(captcha_verification="off")
    service = live.client()
    name = unique()
    assert service.registerUser(
        userName=name,
        password=PASSWORD,
        claims=claims_for(name),
        profileName="default",
        tenantDomain="",
    ).verified
    with live.app.env.uow() as uow:  # the address changes to one whose mail cannot be queued
        user = uow.users.get(uow.tenants.by_domain("carbon.super"), name)
        uow.users.set_lock(user, locked=False, pending=False)
        uow.users.set_claims(
            user, {"http://wso2.org/claims/emailaddress": f"fail-outbox-{name}@example.test"}
        )
        uow.commit()
    key = service.verifyUser(username=name, captcha=None).key
    before = count(
        live,
        "SELECT count(*) FROM codes c JOIN users u ON u.id = c.user_id "
        "WHERE u.username = :n AND c.used_at IS NULL AND c.purpose = 'recovery'",
        n=name,
    )
    with pytest.raises(zeep.exceptions.Fault):
        service.sendRecoveryNotification(username=name, key=key, notificationType="EMAIL")
    after = count(
        live,
        "SELECT count(*) FROM codes c JOIN users u ON u.id = c.user_id "
        "WHERE u.username = :n AND c.used_at IS NULL AND c.purpose = 'recovery'",
        n=name,
    )
    assert before == after == 1  # the key is still live and no mailed code exists without mail
