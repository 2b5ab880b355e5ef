"""Logging users in (password grant, subscriber authenticate), OAuth grants and token
standing, and service-account sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from recovery_soap.core import admin, login, oauth, sessions
from recovery_soap.core.errors import AccountLocked, GrantRefused, LoginFailed, RecoveryLocked
from recovery_soap.core.model import SUPER_TENANT, Caller, Permission, ServiceAccount
from recovery_soap.core.scopes import CLIENT_CREDENTIALS
from recovery_soap.core.scopes import PASSWORD as PASSWORD_GRANT
from recovery_soap.core.services import Services
from tests.core.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    FixedClock,
    KnownRandom,
    Mail,
    audit_events,
    confirmed_user,
    register,
    with_policy,
)

SECRET = "client-secret-0123456789"


@pytest.fixture
def noor(env: Services, caller: Caller, mail: Mail) -> str:
    confirmed_user(env, caller, mail, "noor")
    return "noor"


@pytest.fixture
def client(env: Services, caller: Caller) -> ServiceAccount:
    from recovery_soap.core import callers

    with env.uow() as uow:
        callers.put_account(
            env,
            uow,
            "client",
            SECRET,
            caller.tenant,
            {Permission.LOGIN, Permission.USERS_LIST},
        )
        uow.commit()
    return oauth.authenticate_client(env, "client", SECRET, "192.0.2.5")


def test_the_right_password_logs_in(
    env: Services, caller: Caller, noor: str, engine: Engine
) -> None:
    user = login.log_in(env, caller, noor, PASSWORD)
    assert user.username == noor
    assert ("login", "success", noor) in audit_events(engine)


def test_a_wrong_password_or_unknown_user_fail_alike(
    env: Services, caller: Caller, noor: str
) -> None:
    with pytest.raises(LoginFailed) as wrong:
        login.log_in(env, caller, noor, "Wrong#Pass123")
    with pytest.raises(LoginFailed) as unknown:
        login.log_in(env, caller, "nobody", PASSWORD)
    assert wrong.value.message == unknown.value.message


def test_an_unconfirmed_user_is_told_only_after_the_right_password(
    env: Services, caller: Caller
) -> None:
    register(env, caller, "pending")
    with pytest.raises(LoginFailed):
        login.log_in(env, caller, "pending", "Wrong#Pass123")
    with pytest.raises(AccountLocked):
        login.log_in(env, caller, "pending", PASSWORD)


def test_wrong_passwords_lock_the_login_for_a_while(
    env: Services, caller: Caller, noor: str, clock: FixedClock
) -> None:
    strict = with_policy(env, lockout_failures=3)
    for _ in range(3):
        with pytest.raises(LoginFailed):
            login.log_in(strict, caller, noor, "Wrong#Pass123")
    with pytest.raises(RecoveryLocked):
        login.log_in(strict, caller, noor, PASSWORD)
    clock.advance(seconds=strict.policy.lockout_duration.total_seconds())
    assert login.log_in(strict, caller, noor, PASSWORD).username == noor


def test_client_credentials_grant_the_accounts_scopes(
    env: Services, client: ServiceAccount
) -> None:
    grant = oauth.client_credentials(env, client, None)
    assert grant.client_id == "client" and grant.username is None and grant.scopes
    with pytest.raises(GrantRefused) as refused:
        oauth.client_credentials(env, client, "not-a-scope")
    assert refused.value.error == "invalid_scope"


def test_a_wrong_client_secret_is_refused(
    env: Services, client: ServiceAccount, engine: Engine
) -> None:
    with pytest.raises(GrantRefused) as refused:
        oauth.authenticate_client(env, "client", "wrong-secret-0000", "192.0.2.5")
    assert refused.value.error == "invalid_client"


def test_the_password_grant_names_the_user(
    env: Services, client: ServiceAccount, noor: str
) -> None:
    grant = oauth.password(env, client, noor, PASSWORD, None, "192.0.2.5")
    assert grant.username == noor and grant.user_id is not None
    with pytest.raises(GrantRefused) as refused:
        oauth.password(env, client, noor, "Wrong#Pass123", None, "192.0.2.5")
    assert refused.value.error == "invalid_grant"


def test_the_password_grant_needs_the_login_right(env: Services, caller: Caller, noor: str) -> None:
    from recovery_soap.core import callers

    with env.uow() as uow:
        callers.put_account(env, uow, "nologin", SECRET, caller.tenant, {Permission.USERS_LIST})
        uow.commit()
    client = oauth.authenticate_client(env, "nologin", SECRET, "192.0.2.5")
    with pytest.raises(GrantRefused) as refused:
        oauth.password(env, client, noor, PASSWORD, None, "192.0.2.5")
    assert refused.value.error == "unauthorized_client"


def test_a_token_dies_with_a_password_change_or_a_lock(
    env: Services,
    caller: Caller,
    client: ServiceAccount,
    noor: str,
) -> None:
    grant = oauth.password(env, client, noor, PASSWORD, None, "192.0.2.5")

    def standing() -> oauth.Standing | None:
        return oauth.current_subject(
            env,
            SUPER_TENANT,
            grant.user_id,
            "client",
            grant.scopes,
            grant.client_version,
            grant.user_version,
        )

    alive = standing()
    assert alive is not None and alive.user is not None and alive.user.username == noor
    admin.set_locked(env, SUPER_TENANT, noor, locked=True)
    assert standing() is None
    admin.set_locked(env, SUPER_TENANT, noor, locked=False)
    assert standing() is None  # a lock raised the credential version for good


def test_a_client_token_dies_with_a_new_secret_or_a_withdrawn_grant(
    env: Services, client: ServiceAccount
) -> None:
    grant = oauth.client_credentials(env, client, None)

    def standing() -> oauth.Standing | None:
        return oauth.current_subject(
            env, SUPER_TENANT, None, "client", grant.scopes, grant.client_version
        )

    assert standing() is not None
    with env.uow() as uow:
        oauth.change_client(uow, "client", grants=[PASSWORD_GRANT])
        uow.commit()
    assert standing() is None
    with env.uow() as uow:
        oauth.change_client(uow, "client", grants=[CLIENT_CREDENTIALS])
        oauth.remove_client(uow, "client")
        uow.commit()
    assert standing() is None


def test_sessions_open_idle_out_and_close(
    env: Services, caller: Caller, clock: FixedClock, known: KnownRandom
) -> None:
    from recovery_soap.core import callers

    with env.uow() as uow:
        callers.put_account(env, uow, "ops", SECRET, caller.tenant, {Permission.RECOVER})
        uow.commit()
    assert sessions.log_in(env, "ops", "wrong-secret-0000", "192.0.2.5", None) is None
    session = sessions.log_in(env, "ops", SECRET, "192.0.2.5", "198.51.100.1")
    assert session is not None and session.startswith("known-secret-")
    found = sessions.caller_of(env, session, "192.0.2.5")
    assert found is not None and found.account == "ops"
    clock.advance(seconds=env.policy.session_idle.total_seconds())
    assert sessions.caller_of(env, session, "192.0.2.5") is None
    again = sessions.log_in(env, "ops", SECRET, "192.0.2.5", None)
    assert again is not None and sessions.caller_of(env, again, "") is not None
    sessions.log_out(env, again, "")
    assert sessions.caller_of(env, again, "") is None


def test_a_session_ends_when_its_account_changes(env: Services, caller: Caller) -> None:
    from recovery_soap.core import callers

    with env.uow() as uow:
        callers.put_account(env, uow, "ops", SECRET, caller.tenant, {Permission.RECOVER})
        uow.commit()
    session = sessions.log_in(env, "ops", SECRET, "", None)
    assert session is not None
    with env.uow() as uow:
        callers.put_account(env, uow, "ops", NEW_PASSWORD + "-x", caller.tenant)
        uow.commit()
    assert sessions.caller_of(env, session, "") is None
