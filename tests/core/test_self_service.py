"""What the self-service pages ask before acting (nothing spent by opening a link), and the
verified change of a user's own e-mail address."""

from __future__ import annotations

import dataclasses

import pytest

from recovery_soap.core import directory, registration, self_service
from recovery_soap.core import password_recovery as recovery
from recovery_soap.core.email_change import PENDING_EMAIL
from recovery_soap.core.errors import (
    ExpiredCode,
    InvalidCaptcha,
    InvalidCode,
    PermissionDenied,
    VerificationUnavailable,
)
from recovery_soap.core.model import Caller, MessageKind
from recovery_soap.core.profiles import ProfileChange
from recovery_soap.core.services import Services
from tests.core.conftest import (
    EMAIL,
    PASSWORD,
    SET1,
    SET2,
    CaptchaTexts,
    FixedClock,
    Mail,
    claims_for,
    confirmed_user,
    register,
    solved,
    stored_user,
    with_policy,
)


@pytest.fixture
def pages(env: Services, caller: Caller) -> Caller:
    found = self_service.page_caller(env, caller.tenant.domain, "192.0.2.44")
    assert found is not None
    return found


def test_the_pages_act_for_one_known_tenant(env: Services, pages: Caller) -> None:
    assert pages.account == self_service.PAGES_CALLER and not pages.all_tenants
    assert pages.permissions == self_service.PAGES_PERMISSIONS
    assert self_service.page_caller(env, "nowhere.test", "") is None


def test_opening_a_signup_link_checks_without_spending(
    env: Services, pages: Caller, mail: Mail, clock: FixedClock
) -> None:
    register(env, pages, "ines")
    code = mail.last_code("ines@example.test")
    self_service.check_signup_link(env, pages, "ines", code, None)
    self_service.check_signup_link(env, pages, "ines", code, None)
    with pytest.raises(InvalidCode):
        self_service.check_signup_link(env, pages, "ines", "wrong", None)
    plain = with_policy(env, captcha_checked=False)
    registration.confirm_registration(plain, pages, "ines", code, None, None)
    with pytest.raises(InvalidCode):
        self_service.check_signup_link(env, pages, "ines", code, None)


def test_opening_a_recovery_link_checks_without_spending(
    env: Services, pages: Caller, mail: Mail, clock: FixedClock
) -> None:
    plain = with_policy(env, captcha_checked=False)
    confirmed_user(env, pages, mail, "ines")
    started = recovery.verify_user(plain, pages, "ines", None)
    recovery.send_recovery_notification(plain, pages, "ines", started.key, "EMAIL")
    code = mail.last_code("ines@example.test")
    self_service.check_recovery_link(env, pages, "ines", code)
    assert recovery.verify_confirmation_code(plain, pages, "ines", code, None).key
    with pytest.raises(InvalidCode):
        self_service.check_recovery_link(env, pages, "ines", code)
    started = recovery.verify_user(plain, pages, "ines", None)
    recovery.send_recovery_notification(plain, pages, "ines", started.key, "EMAIL")
    clock.advance(seconds=env.policy.recovery_code_ttl.total_seconds())
    with pytest.raises(ExpiredCode):
        self_service.check_recovery_link(env, pages, "ines", mail.last_code("ines@example.test"))


def test_question_sets_are_offered_only_when_existence_is_not_hidden(
    env: Services, pages: Caller, mail: Mail
) -> None:
    plain = with_policy(env, captcha_checked=False)
    confirmed_user(env, pages, mail, "ines", answers=True)
    key = recovery.verify_user(plain, pages, "ines", None).key
    assert self_service.question_sets(env, pages, "ines", key) == [SET1, SET2]
    hiding = with_policy(env, hide_user_existence=True)
    assert self_service.question_sets(hiding, pages, "ines", key) == []
    with pytest.raises(InvalidCode):
        self_service.question_sets(env, pages, "ines", "wrong")


def test_signup_from_a_page_needs_the_captcha(
    env: Services, pages: Caller, captcha_texts: CaptchaTexts
) -> None:
    with pytest.raises(InvalidCaptcha):
        self_service.register_with_captcha(env, pages, None, "ines", PASSWORD, claims_for("ines"))
    answer = solved(env, pages, captcha_texts)
    self_service.register_with_captcha(env, pages, answer, "ines", PASSWORD, claims_for("ines"))
    assert stored_user(env, pages.tenant, "ines").pending_confirmation


def own(caller: Caller, user_id: int) -> Caller:
    return dataclasses.replace(caller, user_id=user_id)


def test_an_own_email_change_waits_for_the_code_sent_to_the_new_address(
    env: Services, caller: Caller, mail: Mail
) -> None:
    verified = with_policy(env, email_change_verified=True)
    user = confirmed_user(env, caller, mail, "ines")
    me = own(caller, user.id)
    changed = directory.replace(
        verified, me, user.id, lambda _: ProfileChange(claims={EMAIL: "new@example.test"})
    )
    assert changed.claims[EMAIL] == "ines@example.test"
    assert PENDING_EMAIL not in changed.claims
    assert mail.kinds("new@example.test") == [MessageKind.EMAIL_VERIFICATION.value]
    code = mail.last_code("new@example.test")
    with pytest.raises(PermissionDenied):
        directory.confirm_email_change(verified, caller, user.id, code)
    with pytest.raises(InvalidCode):
        directory.confirm_email_change(verified, me, user.id, "wrong")
    confirmed = directory.confirm_email_change(verified, me, user.id, code)
    assert confirmed.claims[EMAIL] == "new@example.test"
    assert mail.kinds("ines@example.test")[-1] == MessageKind.EMAIL_CHANGED.value
    with pytest.raises(InvalidCode):
        directory.confirm_email_change(verified, me, user.id, code)


def test_without_verification_an_own_change_applies_and_the_old_address_is_told(
    env: Services, caller: Caller, mail: Mail
) -> None:
    user = confirmed_user(env, caller, mail, "ines")
    changed = directory.replace(
        env, own(caller, user.id), user.id, lambda _: ProfileChange(claims={EMAIL: "n@ex.test"})
    )
    assert changed.claims[EMAIL] == "n@ex.test"
    assert mail.kinds("ines@example.test")[-1] == MessageKind.EMAIL_CHANGED.value


def test_a_service_changes_the_address_at_once(env: Services, caller: Caller, mail: Mail) -> None:
    verified = with_policy(env, email_change_verified=True)
    user = confirmed_user(env, caller, mail, "ines")
    changed = directory.replace(
        verified, caller, user.id, lambda _: ProfileChange(claims={EMAIL: "n@ex.test"})
    )
    assert changed.claims[EMAIL] == "n@ex.test"
    assert mail.to("n@ex.test") == []


def test_verification_cannot_work_with_external_sending(
    env: Services, caller: Caller, mail: Mail
) -> None:
    user = confirmed_user(env, caller, mail, "ines")
    both = with_policy(env, email_change_verified=True, notifications_external=True)
    with pytest.raises(VerificationUnavailable):
        directory.replace(
            both, own(caller, user.id), user.id, lambda _: ProfileChange(claims={EMAIL: "n@e.test"})
        )
