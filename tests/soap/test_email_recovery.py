"""Password recovery by e-mailed code, end to end through a zeep client and a real SMTP server."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from tests.conftest import LiveServer, unique
from tests.soap.flows import PASSWORD, confirmed_user, start_recovery


@pytest.fixture(params=[False, True], ids=["soap11", "soap12"])
def service(request: pytest.FixtureRequest, live: LiveServer):
    return live.client(soap12=request.param)


def recover_to_key(live: LiveServer, service, name: str) -> str:
    key = start_recovery(live, service, name)
    bean = service.sendRecoveryNotification(username=name, key=key, notificationType="EMAIL")
    assert bean.verified, bean.error
    assert bean.key is None and bean.notificationData is None  # the code goes only by mail
    live.deliver_mail()
    code = live.smtp.mailbox.last_code(f"{name}@example.test")
    bean = service.verifyConfirmationCode(
        username=name, code=code, captcha=live.solve_captcha(service)
    )
    assert bean.verified and bean.key, bean.error
    return str(bean.key)


def test_mailed_code_resets_the_password(live: LiveServer, service) -> None:
    name = confirmed_user(live, service)
    key = recover_to_key(live, service, name)
    bean = service.updatePassword(username=name, confirmationCode=key, newPassword="Brand#New456")
    assert bean.verified, bean.error
    assert bean.error is None


def test_the_mailbox_proof_alone_reads_no_challenge_answers(live: LiveServer, service) -> None:
    """With the default recovery_proof the e-mailed code suffices, so updatePassword spares
    the challenge-answer read (one round trip of the flow)."""
    name = confirmed_user(live, service, answers=True)
    key = recover_to_key(live, service, name)
    statements: list[str] = []

    def seen(*execution: Any) -> None:  # connection, cursor, statement, ...
        statements.append(execution[2])

    event.listen(live.app.engine, "before_cursor_execute", seen)
    try:
        bean = service.updatePassword(
            username=name, confirmationCode=key, newPassword="Brand#New456"
        )
    finally:
        event.remove(live.app.engine, "before_cursor_execute", seen)
    assert bean.verified, bean.error
    assert any("password_hash" in s for s in statements)
    assert not any("challenge_answers" in s for s in statements)


def test_password_key_is_single_use(live: LiveServer, service) -> None:
    name = confirmed_user(live, service)
    key = recover_to_key(live, service, name)
    assert service.updatePassword(
        username=name, confirmationCode=key, newPassword="Brand#New456"
    ).verified
    again = service.updatePassword(username=name, confirmationCode=key, newPassword="Other#789xyz")
    assert not again.verified
    assert again.error.startswith("18001 ")


def test_mailed_code_is_single_use(live: LiveServer, service) -> None:
    name = confirmed_user(live, service)
    recover_to_key(live, service, name)
    code = live.smtp.mailbox.last_code(f"{name}@example.test")
    bean = service.verifyConfirmationCode(
        username=name, code=code, captcha=live.solve_captcha(service)
    )
    assert not bean.verified
    assert bean.error == f"18001 Error verifying confirmation code for user : {name}"


def test_wrong_code_is_refused(live: LiveServer, service) -> None:
    name = confirmed_user(live, service)
    key = start_recovery(live, service, name)
    service.sendRecoveryNotification(username=name, key=key, notificationType="EMAIL")
    bean = service.verifyConfirmationCode(
        username=name,
        code="00000000-0000-0000-0000-000000000000",
        captcha=live.solve_captcha(service),
    )
    assert not bean.verified and bean.key is None
    assert bean.error.startswith("18001 ")


def test_expired_code_reports_18002(live: LiveServer, service) -> None:
    name = confirmed_user(live, service)
    key = start_recovery(live, service, name)
    service.sendRecoveryNotification(username=name, key=key, notificationType="EMAIL")
    live.deliver_mail()
    code = live.smtp.mailbox.last_code(f"{name}@example.test")
    live.clock.advance(minutes=11)
    bean = service.verifyConfirmationCode(
        username=name, code=code, captcha=live.solve_captcha(service)
    )
    assert not bean.verified
    assert bean.error.startswith("18002 ")


def test_code_of_another_user_is_refused(live: LiveServer, service) -> None:
    victim, attacker = confirmed_user(live, service), confirmed_user(live, service)
    key = recover_to_key(live, service, attacker)
    bean = service.updatePassword(
        username=victim, confirmationCode=key, newPassword="Stolen#Pass123"
    )
    assert not bean.verified
    assert bean.error.startswith("18001 ")


def test_key_of_wrong_step_is_refused(live: LiveServer, service) -> None:
    name = confirmed_user(live, service)
    key = start_recovery(live, service, name)  # a verifyUser key proves nothing
    bean = service.updatePassword(username=name, confirmationCode=key, newPassword="Brand#New456")
    assert not bean.verified
    assert bean.error.startswith("18001 ")
    bean = service.verifyConfirmationCode(
        username=name, code=key, captcha=live.solve_captcha(service)
    )
    assert not bean.verified


def test_unknown_user_is_reported(live: LiveServer, service) -> None:
    ghost = unique("ghost")
    bean = service.verifyUser(username=ghost, captcha=live.solve_captcha(service))
    assert not bean.verified and bean.key is None
    assert bean.error == f"18003 User does not exist : {ghost}"


def test_wrong_captcha_is_refused_and_spent(live: LiveServer, service) -> None:
    name = confirmed_user(live, service)
    captcha = live.solve_captcha(service)
    wrong = {**captcha, "userAnswer": "WRONG"}
    bean = service.verifyUser(username=name, captcha=wrong)
    assert not bean.verified
    assert bean.error == "18004 Error while validating captcha"
    bean = service.verifyUser(username=name, captcha=captcha)  # the right answer, too late
    assert not bean.verified
    assert bean.error.startswith("18004 ")


def test_locked_account_cannot_recover(live: LiveServer, service) -> None:
    name = unique()
    from tests.soap.flows import claims_for

    assert service.registerUser(
        userName=name,
        password=PASSWORD,
        claims=claims_for(name),
        profileName="default",
        tenantDomain="",
    ).verified
    bean = service.verifyUser(username=name, captcha=live.solve_captcha(service))
    assert not bean.verified
    assert bean.error == f"18013 Error verifying user : {name}"


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short1!", "8 to 64"), ("x" * 65, "8 to 64"), ("", "must not be empty")],
)
def test_password_policy_applies_to_recovery(live: LiveServer, service, password, reason) -> None:
    name = confirmed_user(live, service)
    key = recover_to_key(live, service, name)
    bean = service.updatePassword(username=name, confirmationCode=key, newPassword=password)
    assert not bean.verified
    assert bean.error.startswith(f"18013 Error while updating credential for user: {name}")
    assert reason in bean.error
    # The key survives a refused password, so the user can choose a better one.
    assert service.updatePassword(
        username=name, confirmationCode=key, newPassword="Good#Password1"
    ).verified
