"""Races: many requests presenting one code, or registering one name, across two servers that
share the database (as two machines would). Exactly one may win."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.conftest import unique
from tests.soap.flows import PASSWORD, claims_for

ATTEMPTS = 16


def _two_servers(serve):
    settings = {"captcha_verification": "off", "notification_sending": "external"}
    return serve(**settings), serve(**settings)


def _race(calls):
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def _clients(servers, count):
    # One zeep client per thread: alternate servers and SOAP versions.
    return [servers[i % 2].client(soap12=bool(i % 3 == 0)) for i in range(count)]


def test_one_confirmation_code_confirms_once(serve) -> None:
    servers = _two_servers(serve)
    name = unique()
    bean = (
        servers[0]
        .client()
        .registerUser(
            userName=name,
            password=PASSWORD,
            claims=claims_for(name),
            profileName="default",
            tenantDomain="carbon.super",
        )
    )
    code = bean.notificationData.notificationCode
    clients = _clients(servers, ATTEMPTS)
    results = _race(
        [
            lambda c=c: c.confirmUserSelfRegistration(
                username=name, code=code, captcha=None, tenantDomain="carbon.super"
            )
            for c in clients
        ]
    )
    assert sum(1 for r in results if r.verified) == 1


def _mailed_code(client, name: str) -> str:
    """Register and confirm ``name`` (external sending), then start a recovery: the mailed code."""
    code = client.registerUser(
        userName=name,
        password=PASSWORD,
        claims=claims_for(name),
        profileName="default",
        tenantDomain="",
    ).notificationData.notificationCode
    assert client.confirmUserSelfRegistration(
        username=name, code=code, captcha=None, tenantDomain=""
    ).verified
    key = client.verifyUser(username=name, captcha=None).key
    mailed = client.sendRecoveryNotification(username=name, key=key, notificationType="EMAIL")
    return str(mailed.notificationData.notificationCode)


def test_one_password_key_changes_the_password_once(serve) -> None:
    servers = _two_servers(serve)
    name = unique()
    first = servers[0].client()
    key3 = first.verifyConfirmationCode(
        username=name, code=_mailed_code(first, name), captcha=None
    ).key
    clients = _clients(servers, ATTEMPTS)
    results = _race(
        [
            lambda c=c, i=i: c.updatePassword(
                username=name, confirmationCode=key3, newPassword=f"Racing#Pass{i:03d}"
            )
            for i, c in enumerate(clients)
        ]
    )
    assert sum(1 for r in results if r.verified) == 1


def test_one_mailed_code_verifies_once(serve) -> None:
    servers = _two_servers(serve)
    name = unique()
    code2 = _mailed_code(servers[0].client(), name)
    clients = _clients(servers, ATTEMPTS)
    results = _race(
        [
            lambda c=c: c.verifyConfirmationCode(username=name, code=code2, captcha=None)
            for c in clients
        ]
    )
    assert sum(1 for r in results if r.verified) == 1
    assert len({r.key for r in results if r.verified}) == 1


def test_concurrent_registrations_of_one_name_create_one_user(serve) -> None:
    servers = _two_servers(serve)
    name = unique()
    clients = _clients(servers, ATTEMPTS)
    results = _race(
        [
            lambda c=c: c.registerUser(
                userName=name,
                password=PASSWORD,
                claims=claims_for(name),
                profileName="default",
                tenantDomain="carbon.super",
            )
            for c in clients
        ]
    )
    winners = [r for r in results if r.error is None]
    assert len(winners) == 1
    losers = [r for r in results if r.error is not None]
    assert all(r.error.startswith(f"18003 Username '{name}' already exists") for r in losers)
