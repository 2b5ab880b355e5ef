"""Password recovery by mail: verifyUser -> send -> verifyConfirmationCode -> updatePassword."""

from __future__ import annotations

import pytest

from recovery_soap.core import password_recovery as recovery
from recovery_soap.core.errors import (
    AccountLocked,
    ExpiredCode,
    InvalidCaptcha,
    InvalidCode,
    InvalidUser,
    RecoveryLocked,
    UpdateFailed,
)
from recovery_soap.core.model import Caller, MessageKind
from recovery_soap.core.services import Services
from tests.core.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    CaptchaTexts,
    FixedClock,
    KnownRandom,
    Mail,
    confirmed_user,
    login_ok,
    solved,
    with_policy,
)

ADDRESS = "mira@example.test"


@pytest.fixture
def plain(env: Services) -> Services:
    return with_policy(env, captcha_checked=False)


@pytest.fixture
def mira(env: Services, caller: Caller, mail: Mail) -> str:
    confirmed_user(env, caller, mail, "mira")
    return "mira"


def mailed_code(plain: Services, caller: Caller, mail: Mail, name: str) -> str:
    started = recovery.verify_user(plain, caller, name, None)
    recovery.send_recovery_notification(plain, caller, name, started.key, "EMAIL")
    return mail.last_code(f"{name}@example.test")


def test_the_whole_flow_changes_the_password_and_tells_the_user(
    env: Services,
    caller: Caller,
    mail: Mail,
    mira: str,
    captcha_texts: CaptchaTexts,
    known: KnownRandom,
) -> None:
    started = recovery.verify_user(env, caller, mira, solved(env, caller, captcha_texts))
    assert started.verified and started.key and started.user_id == mira
    sent = recovery.send_recovery_notification(env, caller, mira, started.key, "EMAIL")
    assert sent.verified and sent.notification is None
    assert mail.kinds(ADDRESS)[-1] == MessageKind.PASSWORD_RESET.value
    code = mail.last_code(ADDRESS)
    assert code == known.issued[-1]  # the injected random source made it
    checked = recovery.verify_confirmation_code(
        env, caller, mira, code, solved(env, caller, captcha_texts)
    )
    assert checked.key and checked.key != code
    recovery.update_password(env, caller, mira, checked.key, NEW_PASSWORD)
    assert login_ok(env, caller, mira, NEW_PASSWORD)
    assert not login_ok(env, caller, mira, PASSWORD)
    assert mail.kinds(ADDRESS)[-1] == MessageKind.PASSWORD_CHANGED.value


def test_verify_user_checks_the_captcha(env: Services, caller: Caller, mira: str) -> None:
    with pytest.raises(InvalidCaptcha):
        recovery.verify_user(env, caller, mira, None)


def test_a_wrong_code_is_refused(plain: Services, caller: Caller, mail: Mail, mira: str) -> None:
    mailed_code(plain, caller, mail, mira)
    with pytest.raises(InvalidCode):
        recovery.verify_confirmation_code(
            plain, caller, mira, "00000000-0000-4000-8000-000000000000", None
        )


def test_a_code_expires_after_the_recovery_lifetime(
    plain: Services, caller: Caller, mail: Mail, mira: str, clock: FixedClock
) -> None:
    code = mailed_code(plain, caller, mail, mira)
    clock.advance(seconds=plain.policy.recovery_code_ttl.total_seconds() - 1)
    still = mailed_code(plain, caller, mail, mira)
    clock.advance(seconds=1)
    assert recovery.verify_confirmation_code(plain, caller, mira, still, None).key
    clock.advance(seconds=plain.policy.recovery_code_ttl.total_seconds())
    late = mailed_code(plain, caller, mail, mira)
    clock.advance(seconds=plain.policy.recovery_code_ttl.total_seconds())
    with pytest.raises(ExpiredCode):
        recovery.verify_confirmation_code(plain, caller, mira, late, None)
    assert code != still != late


def test_a_code_cannot_be_replayed(plain: Services, caller: Caller, mail: Mail, mira: str) -> None:
    code = mailed_code(plain, caller, mail, mira)
    recovery.verify_confirmation_code(plain, caller, mira, code, None)
    with pytest.raises(InvalidCode):
        recovery.verify_confirmation_code(plain, caller, mira, code, None)


def test_a_password_key_works_once(plain: Services, caller: Caller, mail: Mail, mira: str) -> None:
    code = mailed_code(plain, caller, mail, mira)
    key = recovery.verify_confirmation_code(plain, caller, mira, code, None).key
    recovery.update_password(plain, caller, mira, key, NEW_PASSWORD)
    with pytest.raises(InvalidCode):
        recovery.update_password(plain, caller, mira, key, "Core#Third789")
    assert login_ok(plain, caller, mira, NEW_PASSWORD)


def test_the_first_key_cannot_change_the_password(
    plain: Services, caller: Caller, mira: str
) -> None:
    started = recovery.verify_user(plain, caller, mira, None)
    with pytest.raises(InvalidCode):
        recovery.update_password(plain, caller, mira, started.key, NEW_PASSWORD)
    assert login_ok(plain, caller, mira, PASSWORD)


def test_a_new_code_spends_the_previous_one(
    plain: Services, caller: Caller, mail: Mail, mira: str
) -> None:
    first = mailed_code(plain, caller, mail, mira)
    second = mailed_code(plain, caller, mail, mira)
    with pytest.raises(InvalidCode):
        recovery.verify_confirmation_code(plain, caller, mira, first, None)
    assert recovery.verify_confirmation_code(plain, caller, mira, second, None).key


def test_a_weak_new_password_is_refused(
    plain: Services, caller: Caller, mail: Mail, mira: str
) -> None:
    code = mailed_code(plain, caller, mail, mira)
    key = recovery.verify_confirmation_code(plain, caller, mira, code, None).key
    with pytest.raises(UpdateFailed):
        recovery.update_password(plain, caller, mira, key, "short")
    assert login_ok(plain, caller, mira, PASSWORD)


def test_a_locked_user_cannot_start(plain: Services, caller: Caller, mira: str) -> None:
    from recovery_soap.core import admin

    admin.set_locked(plain, caller.tenant.domain, mira, locked=True)
    with pytest.raises(AccountLocked):
        recovery.verify_user(plain, caller, mira, None)


def test_an_unknown_user_is_told_without_hidden_existence(plain: Services, caller: Caller) -> None:
    with pytest.raises(InvalidUser, match="User does not exist"):
        recovery.verify_user(plain, caller, "nobody", None)


def test_hidden_existence_answers_an_unknown_user_alike(
    plain: Services, caller: Caller, mail: Mail, mira: str
) -> None:
    hiding = with_policy(plain, hide_user_existence=True)
    known = recovery.verify_user(hiding, caller, mira, None)
    unknown = recovery.verify_user(hiding, caller, "nobody", None)
    assert (known.verified, known.user_id is not None, bool(known.key)) == (
        unknown.verified,
        unknown.user_id is not None,
        bool(unknown.key),
    )
    sent_known = recovery.send_recovery_notification(hiding, caller, mira, known.key, "EMAIL")
    sent_unknown = recovery.send_recovery_notification(
        hiding, caller, "nobody", unknown.key, "EMAIL"
    )
    assert sent_known == sent_unknown
    assert mail.to("nobody@example.test") == []
    assert mail.kinds(ADDRESS)[-1] == MessageKind.PASSWORD_RESET.value
    # A wrong key, a locked user: the same answer again.
    assert recovery.send_recovery_notification(hiding, caller, "nobody", "x", "EMAIL").verified


def test_hidden_existence_answers_a_locked_user_like_an_unknown_one(
    plain: Services, caller: Caller, mail: Mail, mira: str
) -> None:
    from recovery_soap.core import admin

    admin.set_locked(plain, caller.tenant.domain, mira, locked=True)
    hiding = with_policy(plain, hide_user_existence=True)
    started = recovery.verify_user(hiding, caller, mira, None)
    before = len(mail.to(ADDRESS))
    assert recovery.send_recovery_notification(hiding, caller, mira, started.key, "EMAIL").verified
    assert len(mail.to(ADDRESS)) == before


def test_a_recovery_locked_user_is_refused_until_the_lock_ends(
    plain: Services, caller: Caller, mail: Mail, mira: str, clock: FixedClock
) -> None:
    strict = with_policy(plain, lockout_failures=2)
    for _ in range(2):
        with pytest.raises(InvalidCode):
            recovery.verify_confirmation_code(strict, caller, mira, "wrong", None)
    with pytest.raises(RecoveryLocked):
        recovery.verify_user(strict, caller, mira, None)
    clock.advance(seconds=strict.policy.lockout_duration.total_seconds())
    assert recovery.verify_user(strict, caller, mira, None).key


def test_starting_again_spends_the_password_key(
    plain: Services, caller: Caller, mail: Mail, mira: str
) -> None:
    code = mailed_code(plain, caller, mail, mira)
    key = recovery.verify_confirmation_code(plain, caller, mira, code, None).key
    recovery.verify_user(plain, caller, mira, None)
    with pytest.raises(InvalidCode):
        recovery.update_password(plain, caller, mira, key, NEW_PASSWORD)
    assert login_ok(plain, caller, mira, PASSWORD)


def test_external_sending_hands_the_recovery_code_back(
    plain: Services, caller: Caller, mail: Mail, mira: str
) -> None:
    external = with_policy(plain, notifications_external=True)
    before = len(mail.to(ADDRESS))
    started = recovery.verify_user(external, caller, mira, None)
    sent = recovery.send_recovery_notification(external, caller, mira, started.key, "EMAIL")
    assert sent.notification is not None and sent.notification.address == ADDRESS
    assert len(mail.to(ADDRESS)) == before
    assert recovery.verify_confirmation_code(
        external, caller, mira, sent.notification.code, None
    ).key
