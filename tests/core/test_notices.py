"""Telling the user: codes and notices go to the outbox in the operation's transaction; notices
follow the setting and the tenant's switch; a user without an address cannot be sent a code."""

from __future__ import annotations

import dataclasses

import pytest

from recovery_soap.core import directory
from recovery_soap.core import password_recovery as recovery
from recovery_soap.core.errors import NotificationFailed
from recovery_soap.core.model import Caller, MessageKind
from recovery_soap.core.profiles import ProfileChange
from recovery_soap.core.services import Services
from tests.core.conftest import NEW_PASSWORD, PASSWORD, Mail, confirmed_user, with_policy

CHANGED = MessageKind.PASSWORD_CHANGED.value


def change_password(env: Services, caller: Caller, user_id: int) -> None:
    directory.replace(env, caller, user_id, lambda _: ProfileChange(password=NEW_PASSWORD))


def test_a_password_change_is_noticed(env: Services, caller: Caller, mail: Mail) -> None:
    user = confirmed_user(env, caller, mail, "wes")
    change_password(env, caller, user.id)
    assert mail.kinds("wes@example.test")[-1] == CHANGED


def test_notices_off_by_setting(env: Services, caller: Caller, mail: Mail) -> None:
    quiet = with_policy(env, notify_changes=False)
    user = confirmed_user(quiet, caller, mail, "wes")
    change_password(quiet, caller, user.id)
    assert mail.kinds("wes@example.test") == [MessageKind.ACCOUNT_CONFIRMATION.value]


def test_notices_off_for_the_tenant(env: Services, caller: Caller, mail: Mail) -> None:
    with env.uow() as uow:
        uow.tenants.set_notify_changes(caller.tenant, False)
        uow.commit()
    with env.uow(readonly=True) as uow:
        quiet_tenant = uow.tenants.by_domain(caller.tenant.domain)
    assert quiet_tenant is not None and not quiet_tenant.notify_changes
    # A caller carries its tenant as read at its login (a service account names its tenant).
    caller = dataclasses.replace(caller, tenant=quiet_tenant)
    user = confirmed_user(env, caller, mail, "wes")
    change_password(env, caller, user.id)
    assert CHANGED not in mail.kinds("wes@example.test")


def test_a_user_without_an_address_cannot_be_sent_a_code(
    env: Services, caller: Caller, mail: Mail
) -> None:
    plain = with_policy(env, captcha_checked=False)
    created = directory.create(plain, caller, "noaddr", PASSWORD, {})
    started = recovery.verify_user(plain, caller, created.username, None)
    with pytest.raises(NotificationFailed):
        recovery.send_recovery_notification(plain, caller, "noaddr", started.key, "EMAIL")
    assert mail.messages() == []


def test_a_failed_operation_leaves_no_message(env: Services, caller: Caller, mail: Mail) -> None:
    from recovery_soap.core.errors import InvalidCode

    plain = with_policy(env, captcha_checked=False)
    confirmed_user(env, caller, mail, "wes")
    before = mail.messages()
    with pytest.raises(InvalidCode):
        recovery.send_recovery_notification(plain, caller, "wes", "wrong", "EMAIL")
    assert mail.messages() == before
