"""Administration (the command line's use cases) and service accounts."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from recovery_soap.core import admin, callers, login
from recovery_soap.core.errors import AccountLocked, BadRequest, InvalidTenant, InvalidUser
from recovery_soap.core.model import SUPER_TENANT, Caller, Permission, Question
from recovery_soap.core.services import Services
from tests.core.conftest import (
    EMAIL,
    PASSWORD,
    Q1,
    SET1,
    BudgetLimiter,
    audit_events,
    stored_user,
)


def add(env: Services, name: str, tenant: str = SUPER_TENANT) -> None:
    with env.uow() as uow:
        admin.add_user(env, uow, tenant, name, PASSWORD, {EMAIL: f"{name}@example.test"})
        uow.commit()


def test_an_added_user_is_active_and_audited(env: Services, caller: Caller, engine: Engine) -> None:
    add(env, "kim")
    user = stored_user(env, caller.tenant, "kim")
    assert not user.locked and not user.pending_confirmation
    assert ("user_created", "success", "kim") in audit_events(engine)
    assert login.log_in(env, caller, "kim", PASSWORD).id == user.id


def test_adding_refuses_duplicates_weak_passwords_and_unknown_tenants(env: Services) -> None:
    add(env, "kim")
    with env.uow() as uow:
        with pytest.raises(BadRequest, match="exists already"):
            admin.add_user(env, uow, SUPER_TENANT, "kim", PASSWORD, {})
        with pytest.raises(BadRequest):
            admin.add_user(env, uow, SUPER_TENANT, "lee", "short", {})
        with pytest.raises(InvalidTenant):
            admin.add_user(env, uow, "nowhere.test", "lee", PASSWORD, {})


def test_lock_and_unlock(env: Services, caller: Caller, engine: Engine) -> None:
    add(env, "kim")
    admin.set_locked(env, SUPER_TENANT, "kim", locked=True)
    assert stored_user(env, caller.tenant, "kim").locked
    with pytest.raises(AccountLocked):
        login.log_in(env, caller, "kim", PASSWORD)
    admin.set_locked(env, SUPER_TENANT, "kim", locked=False)
    assert not stored_user(env, caller.tenant, "kim").locked
    events = [e for e, _, _ in audit_events(engine)]
    assert "user_locked" in events and "user_unlocked" in events


def test_a_lock_raises_the_credential_version(env: Services, caller: Caller) -> None:
    add(env, "kim")
    before = stored_user(env, caller.tenant, "kim").credential_version
    admin.set_locked(env, SUPER_TENANT, "kim", locked=True)
    assert stored_user(env, caller.tenant, "kim").credential_version > before


def test_delete_user(env: Services, caller: Caller, engine: Engine) -> None:
    add(env, "kim")
    admin.delete_user(env, SUPER_TENANT, "kim")
    with env.uow(readonly=True) as uow:
        assert uow.users.get(caller.tenant, "kim") is None
    assert ("user_deleted", "success", "kim") in audit_events(engine)
    with pytest.raises(InvalidUser):
        admin.delete_user(env, SUPER_TENANT, "kim")


def test_answers_set_by_an_administrator(env: Services, caller: Caller) -> None:
    add(env, "kim")
    with env.uow() as uow:
        admin.set_user_answers(env, uow, SUPER_TENANT, "kim", [(SET1, Q1, "Galle")])
        uow.commit()
    with env.uow(readonly=True) as uow:
        answers = uow.users.answers(stored_user(env, caller.tenant, "kim"))
    assert [(a.set_id, a.question) for a in answers] == [(SET1, Q1)]
    assert env.slow.verify("galle", answers[0].answer_hash)


def test_tenants_start_with_the_default_questions_and_can_go(env: Services) -> None:
    with env.uow() as uow:
        created = admin.add_tenant(uow, " Acme.Test ")
        uow.commit()
    assert created.domain == "acme.test"
    with env.uow() as uow:
        assert len(uow.questions.for_tenant(created)) == len(admin.DEFAULT_QUESTIONS)
        with pytest.raises(BadRequest, match="exists already"):
            admin.add_tenant(uow, "acme.test")
        with pytest.raises(BadRequest):
            admin.add_tenant(uow, "a b")
    add(env, "kim", "acme.test")
    with env.uow() as uow:
        with pytest.raises(BadRequest, match="1 user"):
            admin.delete_tenant(env, uow, "acme.test")
        assert admin.delete_tenant(env, uow, "acme.test", force=True) == 1
        uow.commit()
    with env.uow(readonly=True) as uow:
        assert uow.tenants.by_domain("acme.test") is None
        with pytest.raises(BadRequest):
            admin.delete_tenant(env, uow, SUPER_TENANT, force=True)


def test_questions_are_added_once(env: Services) -> None:
    question = Question(SET1, "Name of your first school ?", 9)
    with env.uow() as uow:
        admin.add_question(uow, SUPER_TENANT, question)
        with pytest.raises(BadRequest):
            admin.add_question(uow, SUPER_TENANT, question)
        uow.commit()


def test_users_page_filters_and_pages(env: Services) -> None:
    for name in ("amy", "ann", "bob"):
        add(env, name)
    with env.uow(readonly=True) as uow:
        total, entries = admin.users_page(uow, SUPER_TENANT, starts_with="a", limit=1)
        assert total == 2 and [e.user.username for e in entries] == ["amy"]
        total, entries = admin.users_page(uow, SUPER_TENANT, email="bob@example.test")
        assert total == 1 and entries[0].user.username == "bob"
        with pytest.raises(BadRequest):
            admin.users_page(uow, SUPER_TENANT, limit=0)


def test_service_accounts_are_stored_by_keyed_hash(env: Services, caller: Caller) -> None:
    secret = "an-account-secret-123"
    with env.uow() as uow:
        account = callers.put_account(env, uow, "app", secret, caller.tenant, {Permission.RECOVER})
        uow.commit()
    assert secret not in account.secret_hash
    with env.uow(readonly=True) as uow:
        assert [a.name for a in admin.accounts(uow)] == ["app"]
    found = callers.authenticate(env, "app", secret, "192.0.2.7")
    assert found is not None and found.permissions == {Permission.RECOVER}
    assert found.client_address == "192.0.2.7"
    assert callers.authenticate(env, "app", "wrong-secret-000", "") is None
    assert callers.authenticate(env, "nobody", secret, "") is None


def test_service_account_rules(env: Services, caller: Caller) -> None:
    with env.uow() as uow:
        with pytest.raises(BadRequest):
            callers.put_account(env, uow, "a:b", "long-enough-secret", caller.tenant)
        with pytest.raises(BadRequest):
            callers.put_account(env, uow, "app", "short", caller.tenant)


def test_a_failed_caller_login_is_audited_and_counted(
    env: Services, engine: Engine, limiter: BudgetLimiter
) -> None:
    from recovery_soap.core.model import Limit

    limiter.budget[Limit.AUTH_FAILURES_PER_ADDRESS] = 2
    for _ in range(2):
        callers.record_auth_failure(env, "intruder", "192.0.2.99")
    assert callers.too_many_failures(env, "192.0.2.99")
    assert not callers.too_many_failures(env, "192.0.2.98")
    assert ("caller_authentication", "failure", None) in audit_events(engine)
