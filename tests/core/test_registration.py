"""Self sign-up rules: register, confirm with the mailed code, resend, sign-up turned off."""

from __future__ import annotations

import pytest

from recovery_soap.core import registration
from recovery_soap.core.errors import (
    BadRequest,
    ExpiredCode,
    InvalidCode,
    InvalidCredential,
    InvalidUser,
    RegistrationFailed,
)
from recovery_soap.core.model import Caller, MessageKind
from recovery_soap.core.services import Services
from tests.core.conftest import (
    EMAIL,
    PASSWORD,
    FixedClock,
    Mail,
    claims_for,
    register,
    stored_user,
    with_policy,
)

PLAIN = {"captcha_checked": False}


def test_a_registered_user_waits_locked_for_the_mailed_code(
    env: Services, caller: Caller, mail: Mail
) -> None:
    result = register(env, caller, "ravi")
    # verified: the service sent the message itself (nothing handed back to the caller)
    assert result.verified is True and result.notification is None
    user = stored_user(env, caller.tenant, "ravi")
    assert user.locked and user.pending_confirmation
    assert mail.kinds("ravi@example.test") == [MessageKind.ACCOUNT_CONFIRMATION.value]


def test_confirming_with_the_mailed_code_unlocks_and_tells_the_user(
    env: Services, caller: Caller, mail: Mail
) -> None:
    plain = with_policy(env, **PLAIN)
    register(plain, caller, "ravi")
    code = mail.last_code("ravi@example.test")
    result = registration.confirm_registration(plain, caller, "ravi", code, None, None)
    assert result.verified and result.user_id == "ravi"
    user = stored_user(env, caller.tenant, "ravi")
    assert not user.locked and not user.pending_confirmation
    assert mail.kinds("ravi@example.test")[-1] == MessageKind.ACCOUNT_CONFIRMED.value


def test_a_confirmation_code_works_once(env: Services, caller: Caller, mail: Mail) -> None:
    plain = with_policy(env, **PLAIN)
    register(plain, caller, "ravi")
    code = mail.last_code("ravi@example.test")
    registration.confirm_registration(plain, caller, "ravi", code, None, None)
    with pytest.raises(InvalidCode):
        registration.confirm_registration(plain, caller, "ravi", code, None, None)


def test_a_wrong_code_leaves_the_account_locked(env: Services, caller: Caller, mail: Mail) -> None:
    plain = with_policy(env, **PLAIN)
    register(plain, caller, "ravi")
    with pytest.raises(InvalidCode):
        registration.confirm_registration(
            plain, caller, "ravi", "00000000-0000-4000-8000-000000000000", None, None
        )
    assert stored_user(env, caller.tenant, "ravi").locked


def test_a_confirmation_code_expires_with_the_signup_lifetime(
    env: Services, caller: Caller, mail: Mail, clock: FixedClock
) -> None:
    plain = with_policy(env, **PLAIN)
    register(plain, caller, "ravi")
    code = mail.last_code("ravi@example.test")
    clock.advance(seconds=env.policy.signup_code_ttl.total_seconds())
    with pytest.raises(ExpiredCode):
        registration.confirm_registration(plain, caller, "ravi", code, None, None)


def test_confirmation_checks_the_captcha_first(env: Services, caller: Caller, mail: Mail) -> None:
    from recovery_soap.core.errors import InvalidCaptcha

    register(env, caller, "ravi")
    code = mail.last_code("ravi@example.test")
    with pytest.raises(InvalidCaptcha):
        registration.confirm_registration(env, caller, "ravi", code, None, None)
    assert stored_user(env, caller.tenant, "ravi").locked


def test_an_existing_name_is_refused(env: Services, caller: Caller) -> None:
    register(env, caller, "ravi")
    with pytest.raises(InvalidUser, match="already exists"):
        register(env, caller, "ravi")


def test_hidden_existence_answers_an_existing_name_like_a_new_one(
    env: Services, caller: Caller, mail: Mail
) -> None:
    register(env, caller, "ravi")
    hiding = with_policy(env, hide_user_existence=True)
    again = register(hiding, caller, "ravi")
    assert again.verified is True and again.user_id == "ravi"
    assert len(mail.to("ravi@example.test")) == 1


def test_registration_rules(env: Services, caller: Caller) -> None:
    with pytest.raises(BadRequest):
        registration.register_user(env, caller, "ravi", PASSWORD, [], None, None)
    with pytest.raises(InvalidCredential):
        registration.register_user(env, caller, "ravi", "short", claims_for("ravi"), None, None)
    with pytest.raises(InvalidUser):
        registration.register_user(env, caller, "a/b", PASSWORD, claims_for("a"), None, None)
    no_mail = [(c, v) for c, v in claims_for("ravi") if c != EMAIL]
    with pytest.raises(RegistrationFailed, match="e-mail address claim"):
        registration.register_user(env, caller, "ravi", PASSWORD, no_mail, None, None)
    with pytest.raises(RegistrationFailed, match="cannot be set"):
        registration.register_user(
            env, caller, "ravi", PASSWORD, [("urn:not:a:claim", "x")], None, None
        )


def test_without_lock_on_creation_the_user_is_active_at_once(
    env: Services, caller: Caller, mail: Mail
) -> None:
    open_env = with_policy(env, lock_on_creation=False)
    result = register(open_env, caller, "ravi")
    assert result.verified is True
    assert not stored_user(env, caller.tenant, "ravi").locked
    assert mail.to("ravi@example.test") == []


def test_external_sending_hands_the_code_back(env: Services, caller: Caller, mail: Mail) -> None:
    external = with_policy(env, notifications_external=True, captcha_checked=False)
    result = register(external, caller, "ravi")
    assert result.notification is not None
    assert result.notification.address == "ravi@example.test"
    assert mail.to("ravi@example.test") == []
    registration.confirm_registration(
        external, caller, "ravi", result.notification.code, None, None
    )
    assert not stored_user(env, caller.tenant, "ravi").locked


def test_resend_mails_the_same_live_code_again(env: Services, caller: Caller, mail: Mail) -> None:
    register(env, caller, "ravi")
    first = mail.last_code("ravi@example.test")
    result = registration.resend_signup_code(env, caller, "ravi", "", None, None)
    assert result.verified is True
    messages = mail.to("ravi@example.test")
    assert len(messages) == 2 and mail.last_code("ravi@example.test") == first


def test_resend_after_expiry_mails_a_new_code(
    env: Services, caller: Caller, mail: Mail, clock: FixedClock
) -> None:
    register(env, caller, "ravi")
    first = mail.last_code("ravi@example.test")
    clock.advance(days=2)
    registration.resend_signup_code(env, caller, "ravi", "", None, None)
    second = mail.last_code("ravi@example.test")
    assert second != first
    plain = with_policy(env, **PLAIN)
    with pytest.raises(InvalidCode):
        registration.confirm_registration(plain, caller, "ravi", first, None, None)
    registration.confirm_registration(plain, caller, "ravi", second, None, None)


def test_resend_refuses_a_confirmed_or_unknown_user(
    env: Services, caller: Caller, mail: Mail
) -> None:
    with pytest.raises(InvalidCode):
        registration.resend_signup_code(env, caller, "nobody", "", None, None)
    hiding = with_policy(env, hide_user_existence=True)
    assert registration.resend_signup_code(hiding, caller, "nobody", "", None, None).verified


def test_self_signup_off_refuses_invitations_in_the_tenant(
    env: Services, caller: Caller, mail: Mail
) -> None:
    from recovery_soap.core import invitations

    with env.uow() as uow:
        uow.tenants.set_self_signup(caller.tenant, False)
        uow.commit()
    with pytest.raises(RegistrationFailed, match="Self sign-up is not enabled"):
        invitations.invite(env, caller, "guest@example.test")
    assert mail.to("guest@example.test") == []
    with env.uow(readonly=True) as uow:
        assert uow.users.get(caller.tenant, "guest@example.test") is None
