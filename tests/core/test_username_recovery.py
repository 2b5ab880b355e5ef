"""Username recovery (verifyAccount): every claim must match one user, who is mailed the name."""

from __future__ import annotations

import pytest

from recovery_soap.core import username_recovery
from recovery_soap.core.errors import InvalidCaptcha, InvalidUser
from recovery_soap.core.model import Caller, MessageKind
from recovery_soap.core.services import Services
from tests.core.conftest import (
    EMAIL,
    GIVEN,
    SET1,
    CaptchaTexts,
    Mail,
    confirmed_user,
    solved,
    with_policy,
)

ADDRESS = "lena@example.test"


@pytest.fixture
def lena(env: Services, caller: Caller, mail: Mail) -> str:
    confirmed_user(env, caller, mail, "lena", answers=True)
    return "lena"


def recovered(env: Services, caller: Caller, claims: list[tuple[str | None, str | None]]) -> object:
    plain = with_policy(env, captcha_checked=False)
    return username_recovery.verify_account(plain, caller, claims, None, None)


def test_matching_claims_mail_the_username(
    env: Services, caller: Caller, mail: Mail, lena: str, captcha_texts: CaptchaTexts
) -> None:
    result = username_recovery.verify_account(
        env, caller, [(EMAIL, ADDRESS)], solved(env, caller, captcha_texts), None
    )
    assert result.verified is True
    last = mail.to(ADDRESS)[-1]
    assert last.kind == MessageKind.ACCOUNT_ID_RECOVERY.value and "lena" in last.body


def test_the_captcha_is_checked(env: Services, caller: Caller, lena: str) -> None:
    with pytest.raises(InvalidCaptcha):
        username_recovery.verify_account(env, caller, [(EMAIL, ADDRESS)], None, None)


def test_every_claim_must_match_the_same_user(env: Services, caller: Caller, lena: str) -> None:
    with pytest.raises(InvalidUser):
        recovered(env, caller, [(EMAIL, ADDRESS), (GIVEN, "Someone else")])
    assert recovered(env, caller, [(EMAIL, ADDRESS), (GIVEN, "Core")]).verified  # type: ignore[attr-defined]


def test_several_matches_find_nobody(env: Services, caller: Caller, mail: Mail, lena: str) -> None:
    confirmed_user(env, caller, mail, "lena2")
    with pytest.raises(InvalidUser):
        recovered(env, caller, [(GIVEN, "Core")])


def test_challenge_answers_are_never_searchable(env: Services, caller: Caller, lena: str) -> None:
    with pytest.raises(InvalidUser):
        recovered(env, caller, [(SET1, "City where you were born ?!Kandy")])


def test_no_match_is_told_unless_existence_is_hidden(
    env: Services, caller: Caller, mail: Mail, lena: str
) -> None:
    with pytest.raises(InvalidUser):
        recovered(env, caller, [(EMAIL, "nobody@example.test")])
    hiding = with_policy(env, hide_user_existence=True, captcha_checked=False)
    found = username_recovery.verify_account(hiding, caller, [(EMAIL, ADDRESS)], None, None)
    missing = username_recovery.verify_account(
        hiding, caller, [(EMAIL, "nobody@example.test")], None, None
    )
    assert found == missing
    assert mail.to("nobody@example.test") == []


def test_external_sending_hands_the_name_back(
    env: Services, caller: Caller, mail: Mail, lena: str
) -> None:
    external = with_policy(env, notifications_external=True, captcha_checked=False)
    before = len(mail.to(ADDRESS))
    result = username_recovery.verify_account(external, caller, [(EMAIL, ADDRESS)], None, None)
    assert result.verified is False and result.notification is not None
    assert result.notification.code == "lena"
    assert len(mail.to(ADDRESS)) == before
