"""AuthenticationAdmin sessions: legacy callers log in once, send the JSESSIONID cookie on every
later SOAP call instead of HTTP Basic, and log out. Through zeep clients generated from the
served WSDLs, and raw envelopes where the wire itself is the point."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
import requests
import zeep
from sqlalchemy import text
from zeep.exceptions import TransportError
from zeep.transports import Transport
from zeep.wsa import WsAddressingPlugin

from recovery_soap.core import admin, callers, oauth
from recovery_soap.store.audit import audit_listing
from tests.conftest import LiveServer
from tests.soap.accounts import new_tenant, service_account
from tests.soap.flows import confirmed_user, start_recovery
from tests.support import SERVICE_NS, SOAP11_NS, SOAP12_NS, post_envelope

AUTH_NS = "http://authentication.services.core.carbon.wso2.org"
AUTH_PATH = "/services/AuthenticationAdmin"
SOAP_VERSIONS = [pytest.param(False, id="soap11"), pytest.param(True, id="soap12")]


def _session() -> requests.Session:
    return requests.Session()  # no Basic credentials: only the cookie authenticates


def auth_admin(live: LiveServer, session: requests.Session, *, soap12: bool = False) -> Any:
    client = zeep.Client(
        f"{live.url}{AUTH_PATH}?wsdl",
        transport=Transport(session=session, timeout=30, operation_timeout=30),
        plugins=[WsAddressingPlugin()] if soap12 else [],
    )
    binding = "Soap12Binding" if soap12 else "Soap11Binding"
    return client.create_service(f"{{{AUTH_NS}}}AuthenticationAdmin{binding}", live.url + AUTH_PATH)


def recovery(live: LiveServer, session: requests.Session, *, soap12: bool = False) -> Any:
    client = zeep.Client(
        f"{live.url}/services/UserInformationRecoveryService?wsdl",
        transport=Transport(session=session, timeout=30, operation_timeout=30),
        plugins=[WsAddressingPlugin()] if soap12 else [],
    )
    binding = "Soap12Binding" if soap12 else "Soap11Binding"
    return client.create_service(
        f"{{{SERVICE_NS}}}UserInformationRecoveryService{binding}",
        f"{live.url}/services/UserInformationRecoveryService",
    )


def logged_in(live: LiveServer, account: tuple[str, str] | None = None) -> requests.Session:
    session = _session()
    name, secret = account or live.auth
    assert auth_admin(live, session).login(name, secret, "127.0.0.1") is True
    assert session.cookies.get("JSESSIONID")
    return session


def questions(live: LiveServer, session: requests.Session) -> int:
    """The status of a plain SOAP call sent with the session's cookie and no Basic credentials."""
    body = (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP11_NS}" xmlns:ser="{SERVICE_NS}"><soapenv:Body>'
        "<ser:getAllChallengeQuestions/></soapenv:Body></soapenv:Envelope>"
    )
    answer = session.post(
        f"{live.url}/services/UserInformationRecoveryService",
        data=body,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": ""},
        timeout=30,
    )
    return answer.status_code


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
def test_login_cookie_runs_every_operation_group_until_logout(
    live: LiveServer, soap12: bool
) -> None:
    session = _session()
    admin_service = auth_admin(live, session, soap12=soap12)
    assert admin_service.login(*live.auth, "10.1.2.3") is True
    service = recovery(live, session, soap12=soap12)
    # Every operation group: sign-up (register), recovery, viewing questions, and the open ones.
    name = confirmed_user(live, service, answers=True)
    key = start_recovery(live, service, name)
    ids = service.getUserChallengeQuestionIds(username=name, confirmation=key)
    assert ids.ids and not ids.error
    assert len(service.getAllChallengeQuestions()) >= 2
    assert service.getUserIdentitySupportedClaims(dialect="http://wso2.org/claims")
    assert admin_service.logout() is None
    with pytest.raises(TransportError) as refused:
        service.getAllChallengeQuestions()
    assert refused.value.status_code == 401


def test_login_answer_sets_the_session_cookie_as_a_servlet_container_does(
    live: LiveServer,
) -> None:
    body = (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP11_NS}" xmlns:aut="{AUTH_NS}"><soapenv:Header/>'
        f"<soapenv:Body><aut:login><aut:username>{live.auth[0]}</aut:username>"
        f"<aut:password>{live.auth[1]}</aut:password></aut:login></soapenv:Body>"
        "</soapenv:Envelope>"
    )
    answer = post_envelope(live.url, body, auth=None, path=AUTH_PATH, action="urn:login")
    assert answer.status_code == 200, answer.text
    assert b"<ns:return>true</ns:return>" in answer.content or b">true</" in answer.content
    cookie = answer.headers["Set-Cookie"]
    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0].startswith("JSESSIONID=") and len(attributes[0]) > 40
    assert "Path=/" in attributes and "HttpOnly" in attributes
    assert "Secure" not in attributes  # plain HTTP here; see the HTTPS test


def test_cookie_is_secure_under_https(live: LiveServer) -> None:
    body = (
        f'<s:Envelope xmlns:s="{SOAP11_NS}" xmlns:a="{AUTH_NS}"><s:Body><a:login>'
        f"<a:username>{live.auth[0]}</a:username><a:password>{live.auth[1]}</a:password>"
        "</a:login></s:Body></s:Envelope>"
    ).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": AUTH_PATH,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "text/xml; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "https",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "443",
        "REMOTE_ADDR": "127.0.0.1",
    }
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    b"".join(live.app(environ, lambda status, headers, e=None: seen.append((status, headers))))
    [(status, headers)] = seen
    assert status.startswith("200")
    cookie = dict(headers)["Set-Cookie"]
    assert "Secure" in [part.strip() for part in cookie.split(";")]


def test_failed_login_answers_false_and_counts_like_a_basic_failure(
    serve: Callable[..., LiveServer],
) -> None:
    live = serve(limit_auth_failures_per_address="3/minute")
    session = _session()
    service = auth_admin(live, session)
    for _ in range(3):
        assert service.login(live.auth[0], "wrong-secret-0123456789", "127.0.0.1") is False
        assert not session.cookies.get("JSESSIONID")
    # The address is now refused, for the right secret too, and for Basic alike.
    with pytest.raises(TransportError) as refused:
        service.login(*live.auth, "127.0.0.1")
    assert refused.value.status_code == 429
    assert post_envelope(live.url, "<x/>", auth=live.auth).status_code == 429
    with live.app.engine.connect() as connection:
        events = audit_listing(connection, event="caller_authentication")
    assert any(e.caller == live.auth[0] and e.outcome == "failure" for e in events)


def test_name_at_tenant_logs_in_to_the_accounts_own_tenant_only(live: LiveServer) -> None:
    domain = new_tenant(live)
    name, secret = service_account(live, domain)
    service = auth_admin(live, _session())
    assert service.login(f"{name}@{domain}", secret, None) is True
    assert service.login(f"{name}@carbon.super", secret, None) is False
    assert service.login(f"{name}@{domain}", "wrong-secret-0123456789", None) is False


def test_session_runs_as_the_caller_basic_gives(live: LiveServer) -> None:
    """Same account, same tenant, same permissions: a VIEW-only account stays VIEW-only."""
    from recovery_soap.core.model import Permission

    weak = service_account(live, "carbon.super", {Permission.VIEW})
    session = logged_in(live, weak)
    assert questions(live, session) == 200
    # verifyUser needs RECOVER: refused with the permission fault, as over Basic
    body = (
        f'<s:Envelope xmlns:s="{SOAP11_NS}" xmlns:ser="{SERVICE_NS}"><s:Body><ser:verifyUser>'
        "<ser:username>x</ser:username></ser:verifyUser></s:Body></s:Envelope>"
    )
    answer = session.post(
        f"{live.url}/services/UserInformationRecoveryService",
        data=body,
        headers={"Content-Type": "text/xml"},
        timeout=30,
    )
    assert answer.status_code == 500 and b"not authorized" in answer.content


def test_idle_session_ends_and_a_used_one_lives_on(live: LiveServer) -> None:
    session = logged_in(live)
    for _ in range(3):  # 3 x 10 minutes: each request keeps it alive
        live.clock.advance(minutes=10)
        assert questions(live, session) == 200
    live.clock.advance(minutes=16)
    assert questions(live, session) == 401


def test_session_ends_at_its_lifetime_however_busy(serve: Callable[..., LiveServer]) -> None:
    live = serve(session_lifetime_minutes=30)
    session = logged_in(live)
    live.clock.advance(minutes=14)
    assert questions(live, session) == 200
    live.clock.advance(minutes=14)
    assert questions(live, session) == 200
    live.clock.advance(minutes=3)
    assert questions(live, session) == 401


@pytest.mark.parametrize("change", ["new secret", "new permissions", "deleted"])
def test_changing_or_deleting_the_account_ends_its_sessions(live: LiveServer, change: str) -> None:
    from recovery_soap.core.model import Permission

    account = service_account(live, "carbon.super")
    session = logged_in(live, account)
    assert questions(live, session) == 200
    env = live.app.env
    with env.uow() as uow:
        if change == "deleted":
            oauth.remove_client(uow, account[0])
        else:
            secret = account[1] + ("x" if change == "new secret" else "")
            permissions = {Permission.VIEW} if change == "new permissions" else set(Permission)
            callers.put_account(
                env, uow, account[0], secret, admin.tenant(uow, "carbon.super"), permissions
            )
        uow.commit()
    assert questions(live, session) == 401


def test_sessions_are_shared_by_every_worker(serve: Callable[..., LiveServer]) -> None:
    """Two servers on one database: a login on one is honoured by the other."""
    first, second = serve(), serve()
    session = logged_in(first)
    assert questions(second, session) == 200
    assert auth_admin(second, session).logout() is None
    assert questions(first, session) == 401


def test_only_a_hash_of_the_session_id_is_stored(live: LiveServer) -> None:
    session = logged_in(live)
    session_id = session.cookies["JSESSIONID"]
    with live.app.engine.connect() as connection:
        rows = [
            tuple(map(str, r)) for r in connection.execute(text("SELECT * FROM caller_sessions"))
        ]
    assert rows
    assert not any(session_id in value for row in rows for value in row)


def test_cookie_never_authenticates_rest_or_pages(live: LiveServer) -> None:
    session = logged_in(live)
    for path in ("/scim2/Users", "/scim2/Me"):
        assert session.get(live.url + path, timeout=30).status_code == 401, path
    statistics = session.post(live.url + "/api/am/user/subscriber/statistics", json={}, timeout=30)
    assert statistics.status_code == 401


def test_logins_and_logouts_are_audited(live: LiveServer) -> None:
    session = logged_in(live)
    auth_admin(live, session).logout()
    with live.app.engine.connect() as connection:
        events = audit_listing(connection, event="caller_session")
    outcomes = [e.outcome for e in events if e.caller == live.auth[0]]
    assert {"opened", "closed"} <= set(outcomes)


def test_logout_is_in_only_and_ends_the_session_at_once(live: LiveServer) -> None:
    session = logged_in(live)
    body = (
        f'<s:Envelope xmlns:s="{SOAP12_NS}" xmlns:a="{AUTH_NS}"><s:Body><a:logout/></s:Body>'
        "</s:Envelope>"
    )
    answer = session.post(
        live.url + AUTH_PATH,
        data=body,
        headers={"Content-Type": 'application/soap+xml; action="urn:logout"'},
        timeout=30,
    )
    assert answer.status_code == 202 and answer.content == b""
    assert questions(live, session) == 401


def test_basic_still_works_beside_sessions(live: LiveServer) -> None:
    assert len(live.client().getAllChallengeQuestions()) >= 2
    assert questions(live, _session()) == 401  # neither Basic nor a cookie


def test_served_authentication_admin_wsdl_is_the_checked_in_one(live: LiveServer) -> None:
    from recovery_soap.soap.authentication_admin_wsdl import render_wsdl
    from tests.soap.test_wsdl import REPO

    checked_in = (REPO / "wsdl" / "AuthenticationAdmin.wsdl").read_bytes()
    assert checked_in == render_wsdl(), "run scripts/update-wsdl"
    served = requests.get(f"{live.url}{AUTH_PATH}?wsdl", timeout=30)
    assert served.status_code == 200
    assert served.content == render_wsdl(live.url)
    assert f'location="{live.url}{AUTH_PATH}.AuthenticationAdminHttpSoap11Endpoint/"' in served.text
