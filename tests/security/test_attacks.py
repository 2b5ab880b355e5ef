"""The attack catalogue: every known flaw of the legacy service (BEHAVIOUR.md, CONTRACT.md §6)
and the attacks of the hardening issue, each tried against the running server through a real
client, each asserting it had no effect (above all: the victim's password is unchanged)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import zeep

from recovery_soap.config import Settings, SettingsError
from recovery_soap.core.model import Permission
from tests.conftest import LiveServer, unique
from tests.soap.accounts import service_account
from tests.soap.flows import (
    PASSWORD,
    SET1,
    SET2,
    claims_for,
    confirmed_user,
    register_confirmed,
    start_recovery,
)
from tests.support import SERVICE_PATH, envelope, post_envelope

STOLEN = "Stolen#Pass999"


def password_is(live: LiveServer, name: str, password: str) -> bool:
    env = live.app.env
    with env.uow() as uow:
        tenant = uow.tenants.by_domain("carbon.super")
        assert tenant is not None
        user = uow.users.get(tenant, name)
    assert user is not None
    return env.slow.verify(password, user.password_hash)


def steal(service, name: str, key: str | None):
    return service.updatePassword(username=name, confirmationCode=key, newPassword=STOLEN)


@pytest.fixture
def service(live: LiveServer):
    return live.client()


# --- legacy flaws -----------------------------------------------------------------------------


@pytest.mark.parametrize("answers", [[], [{"id": SET1, "answer": "x"}], [{"id": "", "answer": ""}]])
def test_cve_2024_6914_user_without_questions(live: LiveServer, service, answers) -> None:
    victim = confirmed_user(live, service)  # no challenge questions, like the legacy admin
    shown = service.getUserChallengeQuestions(
        userName=victim, confirmation=start_recovery(live, service, victim)
    )
    assert shown.key is None
    bean = service.verifyUserChallengeAnswers(
        userName=victim, confirmation=shown.key, userChallengesDTOs=answers
    )
    assert not bean.verified and bean.key is None
    assert not steal(service, victim, bean.key).verified
    assert password_is(live, victim, PASSWORD)


def test_duplicate_question_ids_do_not_inflate_the_count(live: LiveServer, service) -> None:
    victim = confirmed_user(live, service, answers=True)
    shown = service.getUserChallengeQuestions(
        userName=victim, confirmation=start_recovery(live, service, victim)
    )
    twice = [{"id": SET1, "answer": "Colombo"}, {"id": SET1, "answer": "Colombo"}]
    bean = service.verifyUserChallengeAnswers(
        userName=victim, confirmation=shown.key, userChallengesDTOs=twice
    )
    assert not bean.verified
    assert not steal(service, victim, bean.key).verified
    assert password_is(live, victim, PASSWORD)


@pytest.mark.parametrize("how", ["ids", "questions", "asked"])
def test_looking_at_questions_gives_no_password_key(live: LiveServer, service, how) -> None:
    victim = confirmed_user(live, service, answers=True)
    key = start_recovery(live, service, victim)
    if how == "ids":
        key = service.getUserChallengeQuestionIds(username=victim, confirmation=key).key
    else:
        key = service.getUserChallengeQuestions(userName=victim, confirmation=key).key
        if how == "asked":
            key = service.getUserChallengeQuestion(
                userName=victim, confirmation=key, questionId=SET1
            ).key
    assert key
    assert not steal(service, victim, key).verified
    assert password_is(live, victim, PASSWORD)


def test_one_right_answer_of_two_is_not_proof(live: LiveServer, service) -> None:
    victim = confirmed_user(live, service, answers=True)
    key = start_recovery(live, service, victim)
    key = service.getUserChallengeQuestionIds(username=victim, confirmation=key).key
    key = service.getUserChallengeQuestion(userName=victim, confirmation=key, questionId=SET1).key
    bean = service.verifyUserChallengeAnswer(
        userName=victim, confirmation=key, questionId=SET1, answer="Colombo"
    )
    assert bean.verified
    assert not steal(service, victim, bean.key).verified
    assert password_is(live, victim, PASSWORD)


def test_no_unlimited_guessing_with_one_question_key(live: LiveServer, service) -> None:
    victim = confirmed_user(live, service, answers=True)
    key = start_recovery(live, service, victim)
    key = service.getUserChallengeQuestionIds(username=victim, confirmation=key).key
    key40 = service.getUserChallengeQuestion(userName=victim, confirmation=key, questionId=SET2).key
    for guess in ("Football", "Cricket"):  # the second guess is right, but too late
        bean = service.verifyUserChallengeAnswer(
            userName=victim, confirmation=key40, questionId=SET2, answer=guess
        )
        assert not bean.verified
    assert password_is(live, victim, PASSWORD)


def test_mailed_code_cannot_be_replayed(external: LiveServer) -> None:
    service = external.client()
    name = unique()
    register_confirmed(external, service, name, claims_for(name))
    key = service.verifyUser(username=name, captcha=None).key
    code2 = service.sendRecoveryNotification(
        username=name, key=key, notificationType="EMAIL"
    ).notificationData.notificationCode
    first = service.verifyConfirmationCode(username=name, code=code2, captcha=None)
    replay = service.verifyConfirmationCode(username=name, code=code2, captcha=None)
    assert first.verified and not replay.verified and replay.key is None


def test_signup_code_is_never_handed_to_the_caller(live: LiveServer, service) -> None:
    name = unique()
    bean = service.registerUser(
        userName=name,
        password=PASSWORD,
        claims=claims_for(name),
        profileName="default",
        tenantDomain="",
    )
    assert bean.verified and bean.key is None and bean.notificationData is None
    bean = service.resendSignUpConfiramtionCode(
        userName=name, code="", profileName="default", tenantDomain=""
    )
    assert bean.key is None and bean.notificationData is None
    # Without the mailbox, the account cannot be confirmed.
    bean = service.confirmUserSelfRegistration(
        username=name, code=bean.key, captcha=live.solve_captcha(service), tenantDomain=""
    )
    assert not bean.verified


def test_external_mode_never_echoes_request_headers(external: LiveServer) -> None:
    name = unique()
    body = envelope(
        "registerUser",
        f"<ser:userName>{name}</ser:userName><ser:password>{PASSWORD}</ser:password>"
        f"<ser:claims><xsd:claimUri>http://wso2.org/claims/emailaddress</xsd:claimUri>"
        f"<xsd:claimValue>{name}@example.test</xsd:claimValue></ser:claims>",
        extra_ns='xmlns:xsd="http://dto.mgt.identity.carbon.wso2.org/xsd"',
    )
    answer = post_envelope(
        external.url, body, auth=external.auth, headers={"X-Secret-Header": "do-not-echo-me"}
    )
    assert answer.status_code == 200
    assert b"notificationCode" in answer.content
    assert b"Authorization" not in answer.content and b"Basic " not in answer.content
    assert b"do-not-echo-me" not in answer.content and b"transportHeaders" not in answer.content


@pytest.mark.parametrize("granted", [{Permission.VIEW}, {Permission.REGISTER}, set()])
def test_account_without_recover_permission_cannot_reset(live: LiveServer, granted) -> None:
    victim = confirmed_user(live, live.client(), answers=True)
    weak = live.client(auth=service_account(live, "carbon.super", granted))
    with pytest.raises(zeep.exceptions.Fault):
        weak.verifyUser(username=victim, captcha=live.solve_captcha(weak))
    with pytest.raises(zeep.exceptions.Fault):
        weak.updatePassword(username=victim, confirmationCode="k", newPassword=STOLEN)
    assert password_is(live, victim, PASSWORD)


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", f"{SERVICE_PATH}/updatePassword", {"params": {"username": "x"}}),
        ("GET", SERVICE_PATH, {"params": {"op": "updatePassword", "username": "x"}}),
        ("POST", f"{SERVICE_PATH}/updatePassword", {"data": "username=x"}),
        (
            "POST",
            SERVICE_PATH,
            {
                "data": "username=x",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
        ),
        (
            "POST",
            SERVICE_PATH,
            {"data": envelope("getCaptcha"), "headers": {"Content-Type": "text/plain"}},
        ),
    ],
)
def test_no_cross_site_invocation(live: LiveServer, method, path, kwargs) -> None:
    victim = confirmed_user(live, live.client())
    key = start_recovery(live, live.client(), victim)
    answer = requests.request(method, live.url + path, auth=live.auth, timeout=10, **kwargs)
    assert answer.status_code in (404, 405, 415)
    assert b"Envelope" not in answer.content
    # The key the forged request might have used is untouched: the flow still works.
    assert (
        live.client()
        .sendRecoveryNotification(username=victim, key=key, notificationType="EMAIL")
        .verified
    )


def test_errors_never_name_another_request_s_user(live: LiveServer) -> None:
    """The legacy server kept error beans in static fields shared by concurrent requests."""
    names = [unique("ghost") for _ in range(12)]
    clients = [live.client() for _ in names]

    def ask(pair):
        client, name = pair
        return name, client.sendRecoveryNotification(
            username=name, key="bad", notificationType="EMAIL"
        )

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        results = list(pool.map(ask, zip(clients, names, strict=True)))
    for name, bean in results:
        assert bean.error == f"18001 Invalid confirmation code for user : {name}"


# --- attacks of the hardening issue -------------------------------------------------------------


def test_key_of_one_user_does_not_reset_another(external: LiveServer) -> None:
    service = external.client()
    victim, attacker = unique(), unique()
    for name in (victim, attacker):
        register_confirmed(external, service, name, claims_for(name))
    key = service.verifyUser(username=attacker, captcha=None).key
    code2 = service.sendRecoveryNotification(
        username=attacker, key=key, notificationType=""
    ).notificationData.notificationCode
    key3 = service.verifyConfirmationCode(username=attacker, code=code2, captcha=None).key
    assert not steal(service, victim, key3).verified
    assert password_is(external, victim, PASSWORD)


def test_guessing_codes_locks_the_users_recovery(serve) -> None:
    live = serve(captcha_verification="off", lockout_failures=3)
    service = live.client()
    victim = confirmed_user(live, service)
    key = start_recovery(live, service, victim)
    service.sendRecoveryNotification(username=victim, key=key, notificationType="EMAIL")
    live.deliver_mail()
    real = live.smtp.mailbox.last_code(f"{victim}@example.test")
    for guess in range(3):
        bean = service.verifyConfirmationCode(
            username=victim, code=f"00000000-0000-0000-0000-00000000000{guess}", captcha=None
        )
        assert not bean.verified
    bean = service.verifyConfirmationCode(username=victim, code=real, captcha=None)
    assert not bean.verified
    assert "locked" in bean.error


def test_xxe_reads_no_local_file(live: LiveServer) -> None:
    body = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + envelope(
        "verifyUser", "<ser:username>&x;</ser:username>"
    )
    answer = post_envelope(live.url, body, auth=live.auth)
    assert b"root:" not in answer.content
    assert b"Fault" in answer.content


def test_captcha_cannot_be_replayed(live: LiveServer, service) -> None:
    name = confirmed_user(live, service)
    captcha = live.solve_captcha(service)
    assert service.verifyUser(username=name, captcha=captcha).verified
    assert service.verifyUser(username=name, captcha=captcha).error.startswith("18004 ")


def test_expired_key_is_refused(live: LiveServer, service) -> None:
    victim = confirmed_user(live, service)
    key = start_recovery(live, service, victim)
    live.clock.advance(minutes=11)
    bean = service.sendRecoveryNotification(username=victim, key=key, notificationType="EMAIL")
    assert bean.error.startswith("18002 ")


def test_codes_never_live_forever() -> None:
    with pytest.raises(SettingsError):
        Settings(recovery_code_minutes=0)
    with pytest.raises(SettingsError):
        Settings(signup_code_minutes=0)
