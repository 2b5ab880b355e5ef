"""Self sign-up: registerUser, confirmUserSelfRegistration, resendSignUpConfiramtionCode."""

from __future__ import annotations

from typing import Any

import pytest
import zeep.exceptions
from sqlalchemy import event

from tests.conftest import LiveServer, unique
from tests.soap.accounts import FAULT_PROTOCOLS
from tests.soap.flows import (
    EMAIL,
    GIVEN,
    PASSWORD,
    Q1,
    Q2,
    SET1,
    SET2,
    claims_for,
    confirmed_user,
    start_recovery,
)
from tests.support import CODE, body_of

INVALID_CODE = "18001 Error while validating confirmation code for user : {}"


@pytest.fixture(params=[False, True], ids=["soap11", "soap12"])
def service(request: pytest.FixtureRequest, live: LiveServer):
    return live.client(soap12=request.param)


def register(service, name: str, claims=None, password: str = PASSWORD, tenant: str = ""):
    return service.registerUser(
        userName=name,
        password=password,
        claims=claims_for(name) if claims is None else claims,
        profileName="default",
        tenantDomain=tenant,
    )


def mailed_code(live: LiveServer, name: str) -> str:
    live.deliver_mail()
    return live.smtp.mailbox.last_code(f"{name}@example.test")


def confirm(live: LiveServer, service, name: str, code: str):
    return service.confirmUserSelfRegistration(
        username=name, code=code, captcha=live.solve_captcha(service), tenantDomain=""
    )


def assert_not_created(live: LiveServer, service, name: str) -> None:
    bean = service.verifyUser(username=name, captcha=live.solve_captcha(service))
    assert bean.error == f"18003 User does not exist : {name}"


def test_registration_mails_the_code_and_never_returns_it(live: LiveServer, service) -> None:
    name = unique()
    bean = register(service, name)
    assert bean.verified is True and bean.error is None
    assert bean.userId == name
    assert bean.key is None and bean.notificationData is None
    live.deliver_mail()
    [mail] = live.smtp.mailbox.for_address(f"{name}@example.test")
    assert mail["Subject"] == "Confirm your account"
    body = body_of(mail)
    assert name in body and CODE.search(body)


def test_registration_mails_the_claims_it_stores_without_reading_them_back(
    live: LiveServer,
) -> None:
    name = unique()
    claims = claims_for(name)
    claims[[c["claimUri"] for c in claims].index(GIVEN)]["claimValue"] = " Ravindu "
    statements: list[str] = []

    def seen(*execution: Any) -> None:  # connection, cursor, statement, ...
        statements.append(execution[2])

    event.listen(live.app.engine, "before_cursor_execute", seen)
    try:
        bean = register(live.client(), name, claims=claims)
    finally:
        event.remove(live.app.engine, "before_cursor_execute", seen)
    assert bean.verified is True and bean.error is None
    assert not [s for s in statements if s.startswith("SELECT user_claims.")], statements
    live.deliver_mail()
    [mail] = live.smtp.mailbox.for_address(f"{name}@example.test")
    assert body_of(mail).startswith("Hi Ravindu,")


def test_external_registration_hands_the_code_to_the_caller(external: LiveServer) -> None:
    service = external.client()
    name = unique()
    bean = register(service, name)
    assert bean.verified is False and bean.error is None
    assert bean.key is None
    data = bean.notificationData
    assert CODE.fullmatch(data.notificationCode)
    assert data.notificationAddress == f"{name}@example.test"
    assert data.userId == name
    assert data.notificationSent is False
    # The legacy server echoed every request header here, Authorization included.
    assert not data.transportHeaders
    external.deliver_mail()
    assert external.smtp.mailbox.for_address(f"{name}@example.test") == []
    confirmed = service.confirmUserSelfRegistration(
        username=name, code=data.notificationCode, captcha=None, tenantDomain=""
    )
    assert confirmed.verified, confirmed.error


def test_confirmation_unlocks_the_account(live: LiveServer, service) -> None:
    name = unique()
    assert register(service, name).verified
    locked = service.verifyUser(username=name, captcha=live.solve_captcha(service))
    assert locked.error == f"18013 Error verifying user : {name}"
    bean = confirm(live, service, name, mailed_code(live, name))
    assert bean.verified and bean.error is None
    assert start_recovery(live, service, name)


def test_confirmation_code_is_single_use(live: LiveServer) -> None:
    service = live.client()
    name = unique()
    register(service, name)
    code = mailed_code(live, name)
    assert confirm(live, service, name, code).verified
    again = confirm(live, service, name, code)
    assert not again.verified
    assert again.error == INVALID_CODE.format(name)


def test_wrong_code_does_not_confirm(live: LiveServer) -> None:
    service = live.client()
    name = unique()
    register(service, name)
    bean = confirm(live, service, name, "00000000-0000-0000-0000-000000000000")
    assert not bean.verified
    assert bean.error == INVALID_CODE.format(name)


def test_code_of_another_registration_does_not_confirm(live: LiveServer) -> None:
    service = live.client()
    mine, other = unique(), unique()
    register(service, mine)
    register(service, other)
    bean = confirm(live, service, mine, mailed_code(live, other))
    assert bean.error == INVALID_CODE.format(mine)
    assert confirm(live, service, mine, mailed_code(live, mine)).verified


def test_wrong_captcha_refuses_confirmation(live: LiveServer) -> None:
    service = live.client()
    name = unique()
    register(service, name)
    code = mailed_code(live, name)
    wrong = {**live.solve_captcha(service), "userAnswer": "WRONG"}
    bean = service.confirmUserSelfRegistration(
        username=name, code=code, captcha=wrong, tenantDomain=""
    )
    assert not bean.verified
    assert bean.error == f"18004 Error while validating captcha for user : {name}"
    # The code was not spent by the refused attempt.
    assert confirm(live, service, name, code).verified


def test_expired_confirmation_code_reports_18002(live: LiveServer) -> None:
    service = live.client()
    name = unique()
    register(service, name)
    code = mailed_code(live, name)
    live.clock.advance(hours=25)
    bean = confirm(live, service, name, code)
    assert not bean.verified
    assert bean.error.startswith("18002 ")


def test_resend_replaces_an_expired_confirmation_code(live: LiveServer) -> None:
    service = live.client()
    name = unique()
    register(service, name)
    old = mailed_code(live, name)
    live.clock.advance(hours=25)
    assert service.resendSignUpConfiramtionCode(
        userName=name, code="", profileName="default", tenantDomain=""
    ).verified
    new = mailed_code(live, name)
    assert new != old
    assert confirm(live, service, name, new).verified


def test_external_resend_hands_the_new_code_to_the_caller(external: LiveServer) -> None:
    service = external.client()
    name = unique()
    old = register(service, name).notificationData.notificationCode
    bean = service.resendSignUpConfiramtionCode(
        userName=name, code=old, profileName="default", tenantDomain=""
    )
    assert bean.verified is False and bean.error is None and bean.key is None
    new = bean.notificationData.notificationCode
    assert CODE.fullmatch(new) and new != old
    assert bean.notificationData.notificationAddress == f"{name}@example.test"
    assert not bean.notificationData.transportHeaders
    stale = service.confirmUserSelfRegistration(
        username=name, code=old, captcha=None, tenantDomain=""
    )
    assert stale.error == INVALID_CODE.format(name)
    assert service.confirmUserSelfRegistration(
        username=name, code=new, captcha=None, tenantDomain=""
    ).verified


def test_resend_while_the_mail_waits_queues_the_same_message_again(
    live: LiveServer, service
) -> None:
    """A resend while the first mail still waits in the outbox sends the same message again,
    and the code keeps its original expiry."""
    name = unique()
    register(service, name)
    bean = service.resendSignUpConfiramtionCode(
        userName=name, code="", profileName="default", tenantDomain=""
    )
    assert bean.verified and bean.error is None
    assert bean.key is None and bean.notificationData is None
    live.deliver_mail()
    mails = live.smtp.mailbox.for_address(f"{name}@example.test")
    codes = {CODE.search(body_of(mail)).group(0) for mail in mails}
    assert len(mails) == 2 and len(codes) == 1
    live.clock.advance(hours=24, minutes=1)  # the original expiry, not a new one
    assert confirm(live, service, name, codes.pop()).error.startswith("18002 ")


@pytest.mark.parametrize("current", [True, False], ids=["with-current-code", "with-empty-code"])
def test_resend_after_delivery_mails_a_new_code(live: LiveServer, service, current) -> None:
    """A sent message's text (and code) is erased from the outbox, so it cannot be sent again:
    a resend mails a new code, which works."""
    name = unique()
    register(service, name)
    old = mailed_code(live, name)
    bean = service.resendSignUpConfiramtionCode(
        userName=name, code=old if current else "", profileName="default", tenantDomain=""
    )
    assert bean.verified and bean.error is None
    assert bean.key is None and bean.notificationData is None
    new = mailed_code(live, name)
    assert len(live.smtp.mailbox.for_address(f"{name}@example.test")) == 2
    assert new != old
    assert confirm(live, service, name, new).verified


def test_resend_after_expiry_replaces_the_code(live: LiveServer, service) -> None:
    name = unique()
    register(service, name)
    old = mailed_code(live, name)
    live.clock.advance(hours=25)
    bean = service.resendSignUpConfiramtionCode(
        userName=name, code="", profileName="default", tenantDomain=""
    )
    assert bean.verified, bean.error
    new = mailed_code(live, name)
    assert new != old
    assert confirm(live, service, name, old).error.startswith(("18001 ", "18002 "))
    assert confirm(live, service, name, new).verified


def test_resend_with_a_wrong_code_keeps_the_current_one(live: LiveServer) -> None:
    service = live.client()
    name = unique()
    register(service, name)
    code = mailed_code(live, name)
    bean = service.resendSignUpConfiramtionCode(
        userName=name,
        code="00000000-0000-0000-0000-000000000000",
        profileName="default",
        tenantDomain="",
    )
    assert not bean.verified
    assert bean.error == INVALID_CODE.format(name)
    live.deliver_mail()
    assert len(live.smtp.mailbox.for_address(f"{name}@example.test")) == 1
    assert confirm(live, service, name, code).verified


def test_resend_is_refused_for_an_unknown_user(live: LiveServer) -> None:
    service = live.client()
    ghost = unique("ghost")
    bean = service.resendSignUpConfiramtionCode(
        userName=ghost, code="", profileName="default", tenantDomain=""
    )
    assert not bean.verified
    assert bean.error == INVALID_CODE.format(ghost)


def test_resend_is_refused_for_a_confirmed_user(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service)
    live.deliver_mail()
    before = len(live.smtp.mailbox.for_address(f"{name}@example.test"))
    bean = service.resendSignUpConfiramtionCode(
        userName=name, code="", profileName="default", tenantDomain=""
    )
    assert not bean.verified
    assert bean.error == INVALID_CODE.format(name)
    live.deliver_mail()
    assert len(live.smtp.mailbox.for_address(f"{name}@example.test")) == before


def test_existing_username_is_refused(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service)
    bean = register(service, name)
    assert not bean.verified
    assert bean.error == (
        f"18003 Username '{name}' already exists in the system. Please pick another username."
    )


def test_pending_username_is_taken_too(live: LiveServer) -> None:
    service = live.client()
    name = unique()
    assert register(service, name).verified
    assert register(service, name).error.startswith(f"18003 Username '{name}' already exists")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "8 to 64"),
        ("y" * 65, "8 to 64"),
        ("", "must not be empty"),
        ("        ", "must not be empty"),
    ],
    ids=["short", "long", "empty", "blank"],
)
def test_password_policy_refuses_registration(live: LiveServer, password, reason) -> None:
    service = live.client()
    name = unique()
    bean = register(service, name, password=password)
    assert not bean.verified
    assert bean.error.startswith("17002 Credential not valid.")
    assert reason in bean.error
    assert_not_created(live, service, name)


def test_password_regex_policy_refuses_registration(serve) -> None:
    live = serve(password_regex=r".*[0-9].*", password_policy_message="Use a digit.")
    service = live.client()
    name = unique()
    assert register(service, name, password="NoDigitsHere#").error == (
        "17002 Credential not valid. Use a digit."
    )
    assert register(service, name, password="OneDigit#1").verified


def test_email_claim_is_required_when_accounts_wait_for_confirmation(live: LiveServer) -> None:
    service = live.client()
    name = unique()
    claims = [c for c in claims_for(name) if c["claimUri"] != EMAIL]
    bean = register(service, name, claims=claims)
    assert not bean.verified
    assert bean.error.startswith(f"18013 Error occurred while adding user : {name}.")
    assert EMAIL in bean.error
    assert_not_created(live, service, name)


@pytest.mark.parametrize(
    ("uri", "value"),
    [
        ("http://wso2.org/claims/role", "admin"),
        ("http://wso2.org/claims/identity/accountLocked", "false"),
        ("http://wso2.org/claims/identity/unlockTime", "0"),
        ("http://wso2.org/claims/challengeQuestionUris", SET1),
        ("http://wso2.org/claims/username", "someone-else"),
        ("http://example.org/claims/unknown", "x"),
    ],
    ids=["role", "accountLocked", "unlockTime", "challengeQuestionUris", "username", "unknown"],
)
def test_unsettable_claim_refuses_registration(live: LiveServer, uri, value) -> None:
    service = live.client()
    name = unique()
    bean = register(
        service, name, claims=claims_for(name) + [{"claimUri": uri, "claimValue": value}]
    )
    assert not bean.verified
    assert bean.error == (
        f"18013 Error occurred while adding user : {name}. The claim {uri} cannot be set."
    )
    assert_not_created(live, service, name)


@pytest.mark.parametrize("soap12", FAULT_PROTOCOLS)
def test_missing_claims_are_a_fault(live: LiveServer, soap12) -> None:
    service = live.client(soap12=soap12)
    name = unique()
    with pytest.raises(zeep.exceptions.Fault) as raised:
        service.registerUser(
            userName=name, password=PASSWORD, claims=None, profileName="default", tenantDomain=""
        )
    assert raised.value.message == "User claims are required to register a user"
    assert_not_created(live, service, name)


@pytest.mark.parametrize("name", ["ab", "has space", "slash/name", "quote'name", "   "])
def test_malformed_username_is_refused(live: LiveServer, name) -> None:
    service = live.client()
    bean = register(service, name, claims=claims_for("malformed"))
    assert not bean.verified
    assert bean.error == f"18003 invalid user : {name.strip()}"


def test_without_lock_on_creation_the_account_is_usable_at_once(serve) -> None:
    live = serve(lock_on_creation=False)
    service = live.client()
    name = unique()
    bean = register(service, name)
    assert bean.verified and bean.error is None
    assert bean.key is None and bean.notificationData is None
    assert start_recovery(live, service, name)
    live.deliver_mail()
    assert live.smtp.mailbox.for_address(f"{name}@example.test") == []


def test_without_lock_on_creation_no_email_is_needed(serve) -> None:
    live = serve(lock_on_creation=False)
    service = live.client()
    name = unique()
    claims = [c for c in claims_for(name) if c["claimUri"] != EMAIL]
    assert register(service, name, claims=claims).verified
    key = start_recovery(live, service, name)
    # Recovery by mail then has nowhere to send the code.
    bean = service.sendRecoveryNotification(username=name, key=key, notificationType="EMAIL")
    assert not bean.verified
    assert bean.error == f"18015 No e-mail address to notify user : {name}"


def test_challenge_answers_given_as_claims_serve_recovery(live: LiveServer, service) -> None:
    name = confirmed_user(live, service, answers=True)
    key = start_recovery(live, service, name)
    questions = service.getUserChallengeQuestions(userName=name, confirmation=key)
    assert questions.error is None
    assert [(q.id, q.question) for q in questions.userChallengesDTOs] == [(SET1, Q1), (SET2, Q2)]
    bean = service.verifyUserChallengeAnswers(
        userName=name,
        confirmation=questions.key,
        userChallengesDTOs=[{"id": SET1, "answer": "Colombo"}, {"id": SET2, "answer": "Cricket"}],
    )
    assert bean.verified and bean.key, bean.error
    assert service.updatePassword(
        username=name, confirmationCode=bean.key, newPassword="Brand#New456"
    ).verified


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (f"{Q1}", "must be 'question!answer'"),
        (f"{Q1}!", "must be 'question!answer'"),
        (f"{Q1}!   ", "must be 'question!answer'"),
        ("!Colombo", "must be 'question!answer'"),
    ],
    ids=["no-separator", "no-answer", "blank-answer", "no-question"],
)
def test_malformed_challenge_answer_claim_refuses_registration(
    live: LiveServer, value, error
) -> None:
    service = live.client()
    name = unique()
    bean = register(
        service, name, claims=claims_for(name) + [{"claimUri": SET1, "claimValue": value}]
    )
    assert bean.error.startswith(f"18013 Error occurred while adding user : {name}.")
    assert error in bean.error
    assert_not_created(live, service, name)


def test_question_outside_the_catalogue_refuses_registration(live: LiveServer) -> None:
    service = live.client()
    name = unique()
    claim = {"claimUri": SET1, "claimValue": "Name of your favourite hacker ?!Mallory"}
    bean = register(service, name, claims=claims_for(name) + [claim])
    assert not bean.verified
    assert bean.error.startswith("18016 Challenge question not found")
    assert_not_created(live, service, name)


def test_question_of_another_set_refuses_registration(live: LiveServer) -> None:
    service = live.client()
    name = unique()
    claim = {"claimUri": SET1, "claimValue": f"{Q2}!Cricket"}  # Q2 belongs to set 2
    assert register(service, name, claims=claims_for(name) + [claim]).error.startswith("18016 ")
    assert_not_created(live, service, name)


@pytest.mark.parametrize("tenant", ["", "carbon.super"], ids=["no-tenant", "same-tenant"])
def test_username_may_name_its_tenant(live: LiveServer, tenant) -> None:
    service = live.client()
    name = unique()
    qualified = f"{name}@carbon.super"
    bean = register(service, qualified, claims=claims_for(name), tenant=tenant)
    assert bean.verified, bean.error
    assert bean.userId == qualified
    bean = service.confirmUserSelfRegistration(
        username=qualified,
        code=mailed_code(live, name),
        captcha=live.solve_captcha(service),
        tenantDomain=tenant,
    )
    assert bean.verified, bean.error
    # The same user, with or without its tenant.
    assert start_recovery(live, service, name)
    assert start_recovery(live, service, qualified)
    assert register(service, name).error.startswith(f"18003 Username '{name}' already exists")
