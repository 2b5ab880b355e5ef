"""Username recovery (verifyAccount): the one user whose claims all match is told their username."""

from __future__ import annotations

import pytest
import zeep.exceptions

from recovery_soap.core import admin
from tests.conftest import LiveServer, unique
from tests.soap.accounts import FAULT_PROTOCOLS, new_tenant
from tests.soap.flows import (
    EMAIL,
    GIVEN,
    LAST,
    PASSWORD,
    Q1,
    SET1,
    claims_for,
    confirmed_user,
    register_confirmed,
)
from tests.support import body_of

NOT_FOUND = "18003 Error verifying user account"


@pytest.fixture(params=[False, True], ids=["soap11", "soap12"])
def service(request: pytest.FixtureRequest, live: LiveServer):
    return live.client(soap12=request.param)


def by(uri: str, value: str) -> dict[str, str]:
    return {"claimUri": uri, "claimValue": value}


def person(name: str, given: str, last: str) -> list[dict[str, str]]:
    return [by(EMAIL, f"{name}@example.test"), by(GIVEN, given), by(LAST, last)]


def verify_account(live: LiveServer, service, claims, tenant: str = ""):
    return service.verifyAccount(
        claims=claims, captcha=live.solve_captcha(service), tenantDomain=tenant
    )


def test_username_is_mailed_to_the_user(live: LiveServer, service) -> None:
    name = confirmed_user(live, service)
    address = f"{name}@example.test"
    bean = verify_account(live, service, [by(EMAIL, address)])
    assert bean.verified is True and bean.error is None
    assert bean.key is None and bean.notificationData is None
    live.deliver_mail()
    mail = live.smtp.mailbox.for_address(address)[-1]
    assert mail["Subject"] == "Your user name"
    assert name in body_of(mail)


def test_external_sending_hands_the_username_to_the_caller(external: LiveServer) -> None:
    service = external.client()
    name = unique()
    register_confirmed(external, service, name, claims_for(name))
    address = f"{name}@example.test"
    bean = service.verifyAccount(claims=[by(EMAIL, address)], captcha=None, tenantDomain="")
    assert bean.verified is False and bean.error is None and bean.key is None
    data = bean.notificationData
    assert data.notificationCode == name
    assert data.notificationAddress == address
    assert not data.transportHeaders
    external.deliver_mail()
    assert external.smtp.mailbox.for_address(address) == []


def test_no_matching_user_is_reported(live: LiveServer) -> None:
    service = live.client()
    bean = verify_account(live, service, [by(EMAIL, f"{unique('nobody')}@example.test")])
    assert not bean.verified and bean.notificationData is None
    assert bean.error == NOT_FOUND


def test_no_claims_match_nobody(live: LiveServer) -> None:
    service = live.client()
    bean = verify_account(live, service, [])
    assert bean.error == NOT_FOUND


def test_every_claim_given_must_match(live: LiveServer) -> None:
    service = live.client()
    name, last = unique(), unique("last")
    register_confirmed(live, service, name, person(name, "Ann", last))
    address = f"{name}@example.test"
    # The legacy server stopped at the first claim matching one user; here all must match.
    bean = verify_account(live, service, [by(EMAIL, address), by(LAST, "Someone-Else")])
    assert bean.error == NOT_FOUND
    bean = verify_account(live, service, [by(EMAIL, address), by(GIVEN, "Ann"), by(LAST, last)])
    assert bean.verified, bean.error


def test_claim_values_match_whole_and_trimmed(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service)
    address = f"{name}@example.test"
    assert verify_account(live, service, [by(EMAIL, address[:-1])]).error == NOT_FOUND
    assert verify_account(live, service, [by(EMAIL, f"  {address} ")]).verified


def test_ambiguous_match_is_refused(live: LiveServer) -> None:
    service = live.client()
    last = unique("last")
    ann, bob = unique("ann"), unique("bob")
    register_confirmed(live, service, ann, person(ann, "Ann", last))
    register_confirmed(live, service, bob, person(bob, "Bob", last))
    live.deliver_mail()
    before = len(live.smtp.mailbox.messages)
    bean = verify_account(live, service, [by(LAST, last)])
    assert not bean.verified and bean.notificationData is None
    assert bean.error == "18003 User not found"
    live.deliver_mail()
    assert len(live.smtp.mailbox.messages) == before
    # A further claim that tells them apart finds the one.
    assert verify_account(live, service, [by(LAST, last), by(GIVEN, "Bob")]).verified
    live.deliver_mail()
    assert bob in body_of(live.smtp.mailbox.for_address(f"{bob}@example.test")[-1])


@pytest.mark.parametrize(
    ("uri", "value"),
    [
        (SET1, f"{Q1}!Colombo"),
        (SET1, "Colombo"),
        ("http://wso2.org/claims/challengeQuestionUris", SET1),
        ("http://wso2.org/claims/identity/accountLocked", "false"),
    ],
    ids=["question-and-answer", "answer", "question-uris", "account-state"],
)
def test_challenge_and_account_claims_are_not_searchable(live: LiveServer, uri, value) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    bean = verify_account(live, service, [by(EMAIL, f"{name}@example.test"), by(uri, value)])
    assert not bean.verified
    assert bean.error == NOT_FOUND


def test_wrong_captcha_is_refused(live: LiveServer, service) -> None:
    name = confirmed_user(live, service)
    wrong = {**live.solve_captcha(service), "userAnswer": "WRONG"}
    bean = service.verifyAccount(
        claims=[by(EMAIL, f"{name}@example.test")], captcha=wrong, tenantDomain=""
    )
    assert not bean.verified
    assert bean.error == "18004 Error processing captcha"


def test_missing_captcha_is_refused(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service)
    bean = service.verifyAccount(
        claims=[by(EMAIL, f"{name}@example.test")], captcha=None, tenantDomain=""
    )
    assert bean.error == "18004 Error processing captcha"


def test_own_tenant_may_be_named(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service)
    assert verify_account(
        live, service, [by(EMAIL, f"{name}@example.test")], tenant="carbon.super"
    ).verified


@pytest.mark.parametrize("soap12", FAULT_PROTOCOLS)
def test_another_tenant_is_a_fault(live: LiveServer, soap12) -> None:
    service = live.client(soap12=soap12)
    domain = new_tenant(live)
    with pytest.raises(zeep.exceptions.Fault) as raised:
        verify_account(live, service, [by(EMAIL, "someone@example.test")], tenant=domain)
    assert raised.value.message == "Trying to verify account unauthorized tenant space"


def test_saas_mode_searches_the_named_tenant(serve) -> None:
    live = serve(saas_mode=True)
    service = live.client()
    domain = new_tenant(live)
    name = unique()
    address = f"{name}@example.test"
    with live.app.env.uow() as uow:
        admin.add_user(live.app.env, uow, domain, name, PASSWORD, {EMAIL: address})
        uow.commit()
    assert verify_account(live, service, [by(EMAIL, address)]).error == NOT_FOUND
    bean = verify_account(live, service, [by(EMAIL, address)], tenant=domain)
    assert bean.verified, bean.error
    live.deliver_mail()
    mail = live.smtp.mailbox.for_address(address)[-1]
    assert name in body_of(mail) and domain in body_of(mail)


def test_saas_mode_reports_an_unknown_tenant(serve) -> None:
    live = serve(saas_mode=True)
    service = live.client()
    missing = f"{unique('nowhere')}.test"
    bean = verify_account(live, service, [by(EMAIL, "someone@example.test")], tenant=missing)
    assert bean.error == f"18016 Invalid tenant domain : {missing}"


def test_user_is_found_however_many_others_share_a_claim(live: LiveServer) -> None:
    """Regression: matches were once cut at 50 per claim, so the one user the other claims single
    out could be lost among the many sharing a common value."""
    service = live.client()
    common = unique("common")
    names = [unique() for _ in range(51)]
    env = live.app.env
    with env.uow() as uow:
        for name in names:
            admin.add_user(
                env,
                uow,
                "carbon.super",
                name,
                PASSWORD,
                {EMAIL: f"{name}@example.test", GIVEN: common},
            )
        uow.commit()
    assert verify_account(live, service, [by(GIVEN, common)]).error == "18003 User not found"
    wanted = names[-1]
    bean = verify_account(live, service, [by(EMAIL, f"{wanted}@example.test"), by(GIVEN, common)])
    assert bean.verified, bean.error
