"""The subscriber API's password reset: initiate, verify, confirm over the recovery chain,
without a captcha, always hiding whether the account exists at the first step."""

from __future__ import annotations

import pytest

from recovery_soap.core import reset_by_api
from recovery_soap.core.credentials import check_password
from recovery_soap.core.errors import InvalidCode, UpdateFailed
from recovery_soap.core.model import Caller, MessageKind
from recovery_soap.core.services import Services
from tests.core.conftest import NEW_PASSWORD, Mail, confirmed_user, stored_user

ADDRESS = "tia@example.test"


@pytest.fixture
def tia(env: Services, caller: Caller, mail: Mail) -> str:
    confirmed_user(env, caller, mail, "tia")
    return "tia"


def test_the_three_steps_change_the_password(
    env: Services, caller: Caller, mail: Mail, tia: str
) -> None:
    reset_by_api.initiate(env, caller, tia)  # the captcha is on, and not asked for
    assert mail.kinds(ADDRESS)[-1] == MessageKind.PASSWORD_RESET.value
    verified = reset_by_api.verify(env, caller, tia, mail.last_code(ADDRESS))
    assert verified.username == tia and verified.email == ADDRESS
    reset_by_api.confirm(env, caller, tia, verified.key, NEW_PASSWORD)
    with env.uow() as uow:
        assert check_password(env, uow, stored_user(env, caller.tenant, tia), NEW_PASSWORD)


def test_an_unknown_or_locked_user_gets_the_same_answer_and_no_mail(
    env: Services, caller: Caller, mail: Mail, tia: str
) -> None:
    from recovery_soap.core import admin

    reset_by_api.initiate(env, caller, "nobody")  # no error: told alike
    reset_by_api.initiate(env, caller, "")
    admin.set_locked(env, caller.tenant.domain, tia, locked=True)
    before = len(mail.to(ADDRESS))
    reset_by_api.initiate(env, caller, tia)
    assert len(mail.to(ADDRESS)) == before
    assert mail.to("nobody@example.test") == []


def test_a_wrong_code_and_a_weak_password_are_refused(
    env: Services, caller: Caller, mail: Mail, tia: str
) -> None:
    reset_by_api.initiate(env, caller, tia)
    with pytest.raises(InvalidCode):
        reset_by_api.verify(env, caller, tia, "00000000-0000-4000-8000-000000000000")
    verified = reset_by_api.verify(env, caller, tia, mail.last_code(ADDRESS))
    with pytest.raises(UpdateFailed):
        reset_by_api.confirm(env, caller, tia, verified.key, "weak")
