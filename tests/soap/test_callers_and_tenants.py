"""Service accounts, their permissions and tenants: who may call what, and for whom."""

from __future__ import annotations

import pytest
import zeep.exceptions

from recovery_soap.core.model import Permission
from tests.conftest import ACCOUNT, LiveServer, unique
from tests.soap.accounts import FAULT_PROTOCOLS, new_tenant, service_account
from tests.soap.flows import (
    PASSWORD,
    SET1,
    claims_for,
    recover_by_mail,
    register_confirmed,
    start_recovery,
)

ZERO = "00000000-0000-0000-0000-000000000000"
NOT_AUTHORIZED = "Service account '{}' is not authorized for this operation"

# Each operation, called for a user that cannot exist ("x" is too short to register), with the
# code of the business answer it then gives, grouped by the permission it needs.
RECOVER_CALLS = {
    "verifyUser": lambda s: s.verifyUser(username="x", captcha=None),
    "sendRecoveryNotification": lambda s: s.sendRecoveryNotification(
        username="x", key=ZERO, notificationType="EMAIL"
    ),
    "verifyConfirmationCode": lambda s: s.verifyConfirmationCode(
        username="x", code=ZERO, captcha=None
    ),
    "updatePassword": lambda s: s.updatePassword(
        username="x", confirmationCode=ZERO, newPassword="Brand#New456"
    ),
    "verifyUserChallengeAnswer": lambda s: s.verifyUserChallengeAnswer(
        userName="x", confirmation=ZERO, questionId=SET1, answer="a"
    ),
    "verifyUserChallengeAnswers": lambda s: s.verifyUserChallengeAnswers(
        userName="x", confirmation=ZERO, userChallengesDTOs=[{"id": SET1, "answer": "a"}]
    ),
    "verifyAccount": lambda s: s.verifyAccount(claims=[], captcha=None, tenantDomain=""),
}
VIEW_CALLS = {
    "getUserChallengeQuestionIds": lambda s: s.getUserChallengeQuestionIds(
        username="x", confirmation=ZERO
    ),
    "getUserChallengeQuestion": lambda s: s.getUserChallengeQuestion(
        userName="x", confirmation=ZERO, questionId=SET1
    ),
    "getUserChallengeQuestions": lambda s: s.getUserChallengeQuestions(
        userName="x", confirmation=ZERO
    ),
}
REGISTER_CALLS = {
    "registerUser": lambda s: s.registerUser(
        userName=unique(),
        password=PASSWORD,
        claims=claims_for("x"),
        profileName="default",
        tenantDomain="",
    ),
    "resendSignUpConfiramtionCode": lambda s: s.resendSignUpConfiramtionCode(
        userName="x", code="", profileName="default", tenantDomain=""
    ),
    "confirmUserSelfRegistration": lambda s: s.confirmUserSelfRegistration(
        username="x", code=ZERO, captcha=None, tenantDomain=""
    ),
}
OPEN_CALLS = {
    "getCaptcha": lambda s: s.getCaptcha(),
    "getAllChallengeQuestions": lambda s: s.getAllChallengeQuestions(),
    "getUserIdentitySupportedClaims": lambda s: s.getUserIdentitySupportedClaims(
        dialect="http://wso2.org/claims"
    ),
}
NEEDS = {
    Permission.RECOVER: RECOVER_CALLS,
    Permission.VIEW: VIEW_CALLS,
    Permission.REGISTER: REGISTER_CALLS,
}


@pytest.mark.parametrize("granted", list(NEEDS), ids=lambda p: p.value)
def test_operations_outside_the_grant_are_faults(live: LiveServer, granted) -> None:
    credentials = service_account(live, "carbon.super", [granted])
    service = live.client(auth=credentials)
    refused = {
        name: call
        for permission, calls in NEEDS.items()
        if permission is not granted
        for name, call in calls.items()
    }
    for name, call in refused.items():
        with pytest.raises(zeep.exceptions.Fault) as raised:
            call(service)
        assert raised.value.message == NOT_AUTHORIZED.format(credentials[0]), name


#: What each operation answers when the caller is allowed: its own business error (or success).
ANSWERS = {
    "verifyUser": "18004",
    "sendRecoveryNotification": "18001",
    "verifyConfirmationCode": "18004",
    "updatePassword": "18001",
    "verifyUserChallengeAnswer": "18001",
    "verifyUserChallengeAnswers": "18001",
    "verifyAccount": "18004",
    "getUserChallengeQuestionIds": "18016",
    "getUserChallengeQuestion": "18001",
    "getUserChallengeQuestions": "18016",
    "registerUser": None,
    "resendSignUpConfiramtionCode": "18001",
    "confirmUserSelfRegistration": "18004",
}


@pytest.mark.parametrize("granted", list(NEEDS), ids=lambda p: p.value)
def test_operations_within_the_grant_are_answered(live: LiveServer, granted) -> None:
    service = live.client(auth=service_account(live, "carbon.super", [granted]))
    for name, call in NEEDS[granted].items():
        bean = call(service)
        code = bean.error[:5] if bean.error else None
        assert code == ANSWERS[name], (name, bean.error)


@pytest.mark.parametrize("name", list(OPEN_CALLS))
def test_any_service_account_may_read_the_catalogue(live: LiveServer, name) -> None:
    service = live.client(auth=service_account(live, "carbon.super", []))
    assert OPEN_CALLS[name](service)


def test_view_permission_alone_cannot_start_a_recovery(live: LiveServer) -> None:
    credentials = service_account(live, "carbon.super", [Permission.VIEW])
    service = live.client(auth=credentials)
    assert service.getCaptcha().secretKey
    assert len(service.getAllChallengeQuestions()) == 8
    with pytest.raises(zeep.exceptions.Fault):
        service.verifyUser(username="x", captcha=live.solve_captcha(service))
    with pytest.raises(zeep.exceptions.Fault):
        REGISTER_CALLS["registerUser"](service)


def test_permission_fault_reaches_soap12_clients(live: LiveServer) -> None:
    credentials = service_account(live, "carbon.super", [Permission.VIEW])
    with pytest.raises(zeep.exceptions.Fault) as raised:
        live.client(soap12=True, auth=credentials).verifyUser(username="x", captcha=None)
    assert raised.value.message == NOT_AUTHORIZED.format(credentials[0])


@pytest.mark.parametrize(
    "credentials",
    [
        (ACCOUNT[0], "wrong-password-0123456789"),
        ("nobody-" + unique(), ACCOUNT[1]),
        (ACCOUNT[0], ACCOUNT[1].upper()),
        (ACCOUNT[0], ""),
    ],
    ids=["wrong-password", "unknown-account", "case-changed", "empty-password"],
)
def test_wrong_credentials_are_refused_with_401(live: LiveServer, credentials) -> None:
    service = live.client(auth=credentials)
    with pytest.raises(zeep.exceptions.TransportError) as raised:
        service.getCaptcha()
    assert raised.value.status_code == 401


# --- tenants ----------------------------------------------------------------------------------


@pytest.fixture
def acme(live: LiveServer) -> tuple[str, object]:
    """A tenant and a client of a service account bound to it (not all-tenants)."""
    domain = new_tenant(live)
    return domain, live.client(auth=service_account(live, domain))


def test_tenant_has_its_own_question_catalogue(live: LiveServer, acme) -> None:
    _, service = acme
    assert len(service.getAllChallengeQuestions()) == 8


def test_tenant_users_are_invisible_to_another_tenant(live: LiveServer, acme) -> None:
    domain, tenant_service = acme
    name = unique()
    register_confirmed(live, tenant_service, name, claims_for(name))
    assert start_recovery(live, tenant_service, name)
    assert start_recovery(live, tenant_service, f"{name}@{domain}")
    service = live.client()
    bean = service.verifyUser(username=name, captcha=live.solve_captcha(service))
    assert bean.error == f"18003 User does not exist : {name}"
    qualified = f"{name}@{domain}"
    bean = service.verifyUser(username=qualified, captcha=live.solve_captcha(service))
    assert not bean.verified and bean.key is None
    assert bean.error == f"18003 invalid user : {qualified}"


def test_tenant_caller_cannot_reach_super_tenant_users(live: LiveServer, acme) -> None:
    _, tenant_service = acme
    name = unique()
    register_confirmed(live, live.client(), name, claims_for(name))
    for username in (name, f"{name}@carbon.super"):
        bean = tenant_service.verifyUser(
            username=username, captcha=live.solve_captcha(tenant_service)
        )
        assert not bean.verified and bean.key is None
        assert bean.error.startswith("18003 ")


def test_same_username_in_two_tenants_are_two_users(live: LiveServer, acme) -> None:
    domain, tenant_service = acme
    name = unique()
    register_confirmed(live, tenant_service, name, claims_for(name), tenant_domain=domain)
    bean = live.client().registerUser(
        userName=name,
        password=PASSWORD,
        claims=claims_for(name),
        profileName="default",
        tenantDomain="",
    )
    assert bean.verified, bean.error
    # The super tenant's copy is still waiting for confirmation; the tenant's is not.
    service = live.client()
    locked = service.verifyUser(username=name, captcha=live.solve_captcha(service))
    assert locked.error == f"18013 Error verifying user : {name}"
    assert start_recovery(live, tenant_service, name)


def test_keys_do_not_cross_tenants(serve) -> None:
    live = serve(saas_mode=True)
    domain = new_tenant(live)
    tenant_service = live.client(auth=service_account(live, domain))
    name = unique()
    register_confirmed(live, tenant_service, name, claims_for(name))
    register_confirmed(live, live.client(), name, claims_for(name))
    key = start_recovery(live, tenant_service, name)
    service = live.client()
    bean = service.sendRecoveryNotification(username=name, key=key, notificationType="EMAIL")
    assert not bean.verified
    assert bean.error.startswith("18001 ")


@pytest.mark.parametrize("soap12", FAULT_PROTOCOLS)
def test_registering_in_another_tenant_is_a_fault(live: LiveServer, acme, soap12) -> None:
    domain, _ = acme
    service = live.client(soap12=soap12)
    name = unique()
    with pytest.raises(zeep.exceptions.Fault) as raised:
        service.registerUser(
            userName=name,
            password=PASSWORD,
            claims=claims_for(name),
            profileName="default",
            tenantDomain=domain,
        )
    assert raised.value.message == "Trying to create users in unauthorized tenant space"
    with pytest.raises(zeep.exceptions.Fault):
        service.registerUser(
            userName=f"{name}@{domain}",
            password=PASSWORD,
            claims=claims_for(name),
            profileName="default",
            tenantDomain="",
        )


def test_tenant_caller_registering_in_the_super_tenant_is_a_fault(acme) -> None:
    _, tenant_service = acme
    name = unique()
    with pytest.raises(zeep.exceptions.Fault) as raised:
        tenant_service.registerUser(
            userName=name,
            password=PASSWORD,
            claims=claims_for(name),
            profileName="default",
            tenantDomain="carbon.super",
        )
    assert raised.value.message == "Trying to create users in unauthorized tenant space"


def test_resending_in_another_tenant_is_a_fault(live: LiveServer, acme) -> None:
    domain, _ = acme
    with pytest.raises(zeep.exceptions.Fault) as raised:
        live.client().resendSignUpConfiramtionCode(
            userName=unique(), code="", profileName="default", tenantDomain=domain
        )
    # Two spaces, as the legacy service wrote it.
    assert raised.value.message == (
        "Trying to resend self sign up code  in unauthorized tenant space"
    )


def test_confirming_in_another_tenant_is_an_error_bean(live: LiveServer, acme) -> None:
    domain, tenant_service = acme
    name = unique()
    assert tenant_service.registerUser(
        userName=name,
        password=PASSWORD,
        claims=claims_for(name),
        profileName="default",
        tenantDomain="",
    ).verified
    live.deliver_mail()
    code = live.smtp.mailbox.last_code(f"{name}@example.test")
    service = live.client()
    bean = service.confirmUserSelfRegistration(
        username=name, code=code, captcha=live.solve_captcha(service), tenantDomain=domain
    )
    assert not bean.verified
    assert bean.error == "18016 Trying to confirm users in unauthorized tenant space"
    # The tenant's own caller still confirms with the same code.
    bean = tenant_service.confirmUserSelfRegistration(
        username=name, code=code, captcha=live.solve_captcha(tenant_service), tenantDomain=domain
    )
    assert bean.verified, bean.error


def test_saas_mode_lets_an_all_tenants_caller_act_for_a_tenant(serve) -> None:
    live = serve(saas_mode=True)
    domain = new_tenant(live)
    service = live.client()  # the super tenant's account, all_tenants=True
    name = unique()
    register_confirmed(live, service, name, claims_for(name), tenant_domain=domain)
    qualified = f"{name}@{domain}"
    key = start_recovery(live, service, qualified)
    bean = service.sendRecoveryNotification(username=qualified, key=key, notificationType="EMAIL")
    assert bean.verified, bean.error
    # The user lives in the tenant, not in the caller's own tenant.
    bean = service.verifyUser(username=name, captcha=live.solve_captcha(service))
    assert bean.error == f"18003 User does not exist : {name}"


def test_saas_mode_does_not_widen_a_tenant_bound_caller(serve) -> None:
    live = serve(saas_mode=True)
    domain = new_tenant(live)
    tenant_service = live.client(auth=service_account(live, domain))
    name = unique()
    with pytest.raises(zeep.exceptions.Fault):
        tenant_service.registerUser(
            userName=name,
            password=PASSWORD,
            claims=claims_for(name),
            profileName="default",
            tenantDomain="carbon.super",
        )
    register_confirmed(live, live.client(), name, claims_for(name))
    bean = tenant_service.verifyUser(
        username=f"{name}@carbon.super", captcha=live.solve_captcha(tenant_service)
    )
    assert not bean.verified and bean.key is None


# --- usernames that look like e-mail addresses -------------------------------------------------


def test_email_address_username_registers_and_recovers(live: LiveServer) -> None:
    service = live.client()
    address = f"{unique('alice')}@example.org"
    claims = [
        {**c, "claimValue": address} if c["claimUri"].endswith("/emailaddress") else c
        for c in claims_for("alice")
    ]
    register_confirmed(live, service, address, claims)
    recover_by_mail(live, service, address, "Brand#New456", address)


def test_email_address_username_in_a_tenant(live: LiveServer, acme) -> None:
    domain, tenant_service = acme
    address = f"{unique('alice')}@example.org"
    claims = [
        {**c, "claimValue": address} if c["claimUri"].endswith("/emailaddress") else c
        for c in claims_for("alice")
    ]
    register_confirmed(live, tenant_service, f"{address}@{domain}", claims)
    recover_by_mail(live, tenant_service, address, "Brand#New456", address)
    # It lives in the tenant, not in the super tenant.
    service = live.client()
    bean = service.verifyUser(username=address, captcha=live.solve_captcha(service))
    assert bean.error == f"18003 User does not exist : {address}"
