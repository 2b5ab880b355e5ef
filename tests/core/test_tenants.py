"""Tenant isolation: a caller acts in its own tenant; only an all-tenants account in SaaS mode
reaches another; users and codes never cross tenants."""

from __future__ import annotations

import dataclasses

import pytest

from recovery_soap.core import admin, directory, registration
from recovery_soap.core import password_recovery as recovery
from recovery_soap.core.errors import (
    InvalidCode,
    InvalidTenant,
    InvalidUser,
    RequestRefused,
    TenantRefused,
)
from recovery_soap.core.model import Caller, Tenant
from recovery_soap.core.services import Services
from recovery_soap.core.tenants import qualify
from tests.core.conftest import PASSWORD, Mail, claims_for, confirmed_user, with_policy


@pytest.fixture
def acme(env: Services) -> Tenant:
    with env.uow() as uow:
        created = admin.add_tenant(uow, "acme.test")
        uow.commit()
    return created


@pytest.fixture
def acme_caller(caller: Caller, acme: Tenant) -> Caller:
    return dataclasses.replace(caller, account="acme-app", tenant=acme)


@pytest.fixture
def plain(env: Services) -> Services:
    return with_policy(env, captcha_checked=False)


def test_a_name_with_a_tenant_suffix_is_that_tenants_user(
    env: Services, caller: Caller, acme: Tenant
) -> None:
    with env.uow(readonly=True) as uow:
        qualified = qualify(env, uow, caller, "kim@example.org")
        assert qualified.name == "kim@example.org" and qualified.tenant == caller.tenant
        saas = with_policy(env, saas_mode=True)
        everywhere = dataclasses.replace(caller, all_tenants=True)
        inside = qualify(saas, uow, everywhere, "kim@example.org@acme.test")
        assert (inside.name, inside.tenant.domain) == ("kim@example.org", "acme.test")


def test_another_tenants_user_is_out_of_reach(
    plain: Services, caller: Caller, acme_caller: Caller, mail: Mail
) -> None:
    confirmed_user(plain, acme_caller, mail, "zoe")
    with pytest.raises(InvalidUser):
        recovery.verify_user(plain, caller, "zoe", None)
    with pytest.raises(InvalidUser):
        recovery.verify_user(plain, caller, "zoe@acme.test", None)
    assert recovery.verify_user(plain, acme_caller, "zoe", None).key


def test_saas_mode_lets_an_all_tenants_account_in(
    plain: Services, caller: Caller, acme_caller: Caller, mail: Mail
) -> None:
    confirmed_user(plain, acme_caller, mail, "zoe")
    saas = with_policy(plain, saas_mode=True)
    everywhere = dataclasses.replace(caller, all_tenants=True)
    assert recovery.verify_user(saas, everywhere, "zoe@acme.test", None).key
    with pytest.raises(InvalidUser):
        recovery.verify_user(saas, caller, "zoe@acme.test", None)  # not all-tenants
    with pytest.raises(InvalidUser):
        recovery.verify_user(plain, everywhere, "zoe@acme.test", None)  # not SaaS mode


def test_registration_in_another_tenant_is_refused(
    plain: Services, caller: Caller, acme: Tenant
) -> None:
    with pytest.raises(TenantRefused):
        registration.register_user(
            plain, caller, "zoe", PASSWORD, claims_for("zoe"), None, "acme.test"
        )
    saas = with_policy(plain, saas_mode=True)
    everywhere = dataclasses.replace(caller, all_tenants=True)
    with pytest.raises(InvalidTenant):
        registration.register_user(
            saas, everywhere, "zoe", PASSWORD, claims_for("zoe"), None, "nowhere.test"
        )
    registration.register_user(
        saas, everywhere, "zoe", PASSWORD, claims_for("zoe"), None, "acme.test"
    )
    with plain.uow(readonly=True) as uow:
        assert uow.users.get(acme, "zoe") is not None
        assert uow.users.get(caller.tenant, "zoe") is None


def test_the_same_name_in_two_tenants_is_two_users(
    plain: Services, caller: Caller, acme_caller: Caller, mail: Mail
) -> None:
    here = confirmed_user(plain, caller, mail, "sam")
    there = confirmed_user(plain, acme_caller, mail, "sam")
    assert here.id != there.id and here.tenant != there.tenant


def test_a_code_of_one_tenant_does_not_work_in_another(
    plain: Services, caller: Caller, acme_caller: Caller, mail: Mail
) -> None:
    confirmed_user(plain, caller, mail, "sam")
    confirmed_user(plain, acme_caller, mail, "sam2")
    key = recovery.verify_user(plain, acme_caller, "sam2", None).key
    with pytest.raises(InvalidCode):
        recovery.send_recovery_notification(plain, caller, "sam", key, "EMAIL")


def test_the_directory_does_not_see_another_tenants_ids(
    plain: Services, caller: Caller, acme_caller: Caller, mail: Mail
) -> None:
    zoe = confirmed_user(plain, acme_caller, mail, "zoe")
    with pytest.raises(InvalidUser):
        directory.read(plain, caller, zoe.id)
    assert directory.read(plain, acme_caller, zoe.id).username == "zoe"
    assert directory.search(plain, caller, []).total == 0


def test_an_unknown_tenant_suffix_stays_part_of_the_name(plain: Services, caller: Caller) -> None:
    with pytest.raises((InvalidUser, RequestRefused), match="does not exist"):
        recovery.verify_user(plain, caller, "kim@nowhere.test", None)


def test_a_tenant_from_an_export_is_created_or_brought_in_line(env: Services) -> None:
    from recovery_soap.core.model import Question
    from recovery_soap.core.tenant_import import apply_tenant

    extra = Question("http://wso2.org/claims/challengeQuestion3", "First school ?", 0)
    with env.uow() as uow:
        made = apply_tenant(
            uow, "Export.Test", notify_changes=False, self_signup=False, questions=[extra]
        )
        uow.commit()
    with env.uow() as uow:
        tenant = uow.tenants.by_domain("export.test")
        assert tenant is not None and tenant.id == made.id
        assert (tenant.notify_changes, tenant.self_signup) == (False, False)
        count = len(uow.questions.for_tenant(tenant))
        assert count == len(admin.DEFAULT_QUESTIONS) + 1
        again = apply_tenant(
            uow, "export.test", notify_changes=True, self_signup=True, questions=[extra]
        )
        uow.commit()
    assert again.id == made.id
    with env.uow(readonly=True) as uow:
        tenant = uow.tenants.by_domain("export.test")
        assert tenant is not None and (tenant.notify_changes, tenant.self_signup) == (True, True)
        assert len(uow.questions.for_tenant(tenant)) == count
