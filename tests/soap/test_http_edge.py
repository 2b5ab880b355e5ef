"""The HTTP edge: only an authenticated POST of a SOAP envelope runs an operation, and every
refusal is a clean status or SOAP fault, never a crash or a trace.

Operations must leave no effect when refused: getCaptcha is the probe, since every captcha it
issues draws a text from the server's CaptchaTexts (``live.captcha.last`` stays empty).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from lxml import etree

from tests.conftest import LiveServer
from tests.support import SERVICE_NS, SERVICE_PATH, SOAP11_NS, SOAP12_NS, envelope, post_envelope

SOAP_VERSIONS = [pytest.param(False, id="soap11"), pytest.param(True, id="soap12")]
GET_CAPTCHA = envelope("getCaptcha")
#: What must never reach a client: Python traces, source paths, exception class names.
LEAKS = re.compile(r"Traceback|File \"|\.py\b|site-packages|/work/|Error\(|Exception:")


def no_operation_ran(live: LiveServer, response: requests.Response) -> None:
    assert live.captcha.last == "", "getCaptcha ran"
    assert b"getCaptchaResponse" not in response.content


def assert_client_fault(response: requests.Response, *, soap12: bool) -> etree._Element:
    """A SOAP fault of the request's version, blaming the client, with nothing leaked."""
    assert 400 <= response.status_code < 600
    assert not LEAKS.search(response.text), response.text
    media_type = "application/soap+xml" if soap12 else "text/xml"
    assert response.headers["Content-Type"].split(";")[0] == media_type
    env_ns = SOAP12_NS if soap12 else SOAP11_NS
    fault = etree.fromstring(response.content).find(f"{{{env_ns}}}Body/{{{env_ns}}}Fault")
    assert fault is not None, response.text
    if soap12:
        code = fault.findtext(f"{{{env_ns}}}Code/{{{env_ns}}}Value") or ""
        assert code.endswith(":Sender"), code
        assert fault.findtext(f"{{{env_ns}}}Reason/{{{env_ns}}}Text")
    else:
        code = fault.findtext("faultcode") or ""
        assert code.split(":")[-1].split(".")[0] == "Client", code
        assert fault.findtext("faultstring")
    return fault


def post_raw(
    live: LiveServer,
    body: bytes | str | Iterator[bytes],
    *,
    soap12: bool = False,
    content_type: str | None = None,
    path: str = SERVICE_PATH,
) -> requests.Response:
    if content_type is None:
        content_type = "application/soap+xml; charset=utf-8" if soap12 else "text/xml"
    data = body.encode() if isinstance(body, str) else body
    return requests.post(
        live.url + path,
        data=data,
        headers={"Content-Type": content_type},
        auth=live.auth,
        timeout=30,
    )


# --- no operation by GET, by URL path or by query string ----------------------------------


@pytest.mark.parametrize(
    "target",
    [
        f"{SERVICE_PATH}/getCaptcha",
        f"{SERVICE_PATH}/getCaptcha?",
        f"{SERVICE_PATH}/verifyUser?username=admin",
        f"{SERVICE_PATH}?getCaptcha",
        f"{SERVICE_PATH}?operation=getCaptcha",
        f"{SERVICE_PATH}.UserInformationRecoveryServiceHttpEndpoint/getCaptcha",
        f"{SERVICE_PATH}.UserInformationRecoveryServiceHttpsEndpoint/getCaptcha",
        f"{SERVICE_PATH}.UserInformationRecoveryServiceHttpsSoap11Endpoint/getCaptcha",
        f"{SERVICE_PATH}.UserInformationRecoveryServiceHttpsEndpoint/?getCaptcha",
    ],
)
def test_get_never_runs_an_operation(live: LiveServer, target: str) -> None:
    response = requests.get(live.url + target, auth=live.auth, timeout=30)
    assert response.status_code in (404, 405)
    no_operation_ran(live, response)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_refused(live: LiveServer, method: str) -> None:
    response = requests.request(
        method,
        live.url + SERVICE_PATH,
        data=GET_CAPTCHA.encode(),
        headers={"Content-Type": "text/xml"},
        auth=live.auth,
        timeout=30,
    )
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    no_operation_ran(live, response)


@pytest.mark.parametrize("query", ["wsdl", "getCaptcha", "a=b"])
def test_post_with_a_query_string_is_refused(live: LiveServer, query: str) -> None:
    response = post_envelope(live.url, GET_CAPTCHA, auth=live.auth, path=f"{SERVICE_PATH}?{query}")
    assert response.status_code == 405
    no_operation_ran(live, response)


def test_post_to_an_operation_path_is_not_found(live: LiveServer) -> None:
    """Axis2's HTTP binding took form posts at .../getCaptcha; here it is no endpoint at all."""
    response = requests.post(
        f"{live.url}{SERVICE_PATH}/getCaptcha",
        data=GET_CAPTCHA.encode(),
        headers={"Content-Type": "text/xml"},
        auth=live.auth,
        timeout=30,
    )
    assert response.status_code == 404
    no_operation_ran(live, response)


# --- content types (CSRF guard) and credentials -----------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        'multipart/related; type="text/xml"; boundary=MIMEBoundary',
        "application/xml",
        "",
    ],
)
def test_non_soap_content_types_are_refused(live: LiveServer, content_type: str) -> None:
    """A cross-site form can send these; none may invoke an operation."""
    response = post_raw(live, GET_CAPTCHA, content_type=content_type)
    assert response.status_code == 415
    no_operation_ran(live, response)


@pytest.mark.parametrize(
    "auth",
    [
        pytest.param(None, id="none"),
        pytest.param(("test-admin", "wrong-secret"), id="wrong-secret"),
        pytest.param(("nobody", "test-admin-secret-0123456789"), id="unknown-account"),
        pytest.param(("", ""), id="empty"),
    ],
)
@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
def test_missing_or_wrong_credentials_get_401(
    live: LiveServer, auth: tuple[str, str] | None, soap12: bool
) -> None:
    response = post_envelope(
        live.url, envelope("getCaptcha", soap12=soap12), auth=auth, soap12=soap12
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    no_operation_ran(live, response)


@pytest.mark.parametrize(
    "header", ["Bearer abc", "Basic !!!not-base64!!!", "Basic dGVzdC1hZG1pbg==", "Basic"]
)
def test_malformed_authorization_gets_401(live: LiveServer, header: str) -> None:
    response = requests.post(
        live.url + SERVICE_PATH,
        data=GET_CAPTCHA.encode(),
        headers={"Content-Type": "text/xml", "Authorization": header},
        timeout=30,
    )
    assert response.status_code == 401
    no_operation_ran(live, response)


def test_401_does_not_tell_which_part_was_wrong(live: LiveServer) -> None:
    wrong_secret = post_envelope(live.url, GET_CAPTCHA, auth=("test-admin", "nope"))
    unknown = post_envelope(live.url, GET_CAPTCHA, auth=("no-such-account", "nope"))
    assert wrong_secret.status_code == unknown.status_code == 401
    assert wrong_secret.content == unknown.content


# --- body size and chunked bodies -------------------------------------------------------

LIMIT = 2048


def padded(size: int) -> bytes:
    """A valid getCaptcha envelope of exactly ``size`` bytes (a leading comment pads it)."""
    body = GET_CAPTCHA.encode()
    padding = size - len(body) - len(b"<!---->")
    assert padding >= 0
    return b"<!--" + b"x" * padding + b"-->" + body


def chunks(data: bytes, size: int = 100) -> Iterator[bytes]:
    """A generator body: requests sends it with Transfer-Encoding: chunked, as Axis2 does."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.fixture
def small(serve) -> LiveServer:
    return serve(max_body_bytes=LIMIT)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_the_cap_gets_413(small: LiveServer, chunked: bool) -> None:
    data = padded(LIMIT + 1)
    response = post_raw(small, chunks(data) if chunked else data)
    assert response.status_code == 413
    no_operation_ran(small, response)


def test_huge_body_gets_413(small: LiveServer) -> None:
    response = post_raw(small, chunks(b"<" * 200_000, size=8192))
    assert response.status_code == 413


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_at_the_cap_is_served(small: LiveServer, chunked: bool) -> None:
    data = padded(LIMIT)
    response = post_raw(small, chunks(data) if chunked else data)
    assert response.status_code == 200, response.text
    assert b"getCaptchaResponse" in response.content
    assert small.captcha.last != ""


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
def test_chunked_request_is_served(live: LiveServer, soap12: bool) -> None:
    sent = envelope("getAllChallengeQuestions", soap12=soap12).encode()
    response = post_raw(live, chunks(sent, size=7), soap12=soap12)
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    returns = root.findall(f".//{{{SERVICE_NS}}}getAllChallengeQuestionsResponse/{{*}}return")
    assert len(returns) >= 2


# --- hostile and broken XML -------------------------------------------------------------


def with_doctype(doctype: str, reference: str, *, soap12: bool) -> str:
    """A getCaptcha envelope behind a DOCTYPE, the entity used in a header."""
    env_ns = SOAP12_NS if soap12 else SOAP11_NS
    return (
        f'<?xml version="1.0"?>\n{doctype}\n'
        f'<soapenv:Envelope xmlns:soapenv="{env_ns}" xmlns:ser="{SERVICE_NS}">'
        f'<soapenv:Header><h:probe xmlns:h="urn:probe">{reference}</h:probe></soapenv:Header>'
        "<soapenv:Body><ser:getCaptcha/></soapenv:Body></soapenv:Envelope>"
    )


LAUGHS = '<!ENTITY lol0 "lol">' + "".join(
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
)
DOCTYPES = {
    "internal-entity": ('<!DOCTYPE x [<!ENTITY e "injected">]>', "a&e;b"),
    "external-file": ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', "&e;"),
    "external-url": ('<!DOCTYPE x [<!ENTITY e SYSTEM "http://192.0.2.1/x">]>', "&e;"),
    "parameter-entity": ('<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/hostname"> %p;]>', ""),
    "billion-laughs": (f"<!DOCTYPE lolz [{LAUGHS}]>", "&lol9;"),
    "bare-doctype": ("<!DOCTYPE Envelope>", ""),
}


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
@pytest.mark.parametrize("kind", sorted(DOCTYPES))
def test_doctype_is_a_client_fault(live: LiveServer, kind: str, soap12: bool) -> None:
    doctype, reference = DOCTYPES[kind]
    response = post_raw(live, with_doctype(doctype, reference, soap12=soap12), soap12=soap12)
    assert_client_fault(response, soap12=soap12)
    no_operation_ran(live, response)
    assert b"root:" not in response.content and b"injected" not in response.content


def bare(body_inner: str, *, soap12: bool, header: str = "") -> str:
    env_ns = SOAP12_NS if soap12 else SOAP11_NS
    return (
        f'<soapenv:Envelope xmlns:soapenv="{env_ns}" xmlns:ser="{SERVICE_NS}">'
        f"{header}<soapenv:Body>{body_inner}</soapenv:Body></soapenv:Envelope>"
    )


BROKEN = {
    "truncated": lambda v: bare("<ser:getCaptcha/>", soap12=v)[:-20],
    "undeclared-prefix": lambda v: "<soapenv:Envelope><soapenv:Body/></soapenv:Envelope>",
    "mismatched-tags": lambda v: "<a><b></a>",
    "not-xml": lambda v: "hello world",
    "not-an-envelope": lambda v: f'<ser:getCaptcha xmlns:ser="{SERVICE_NS}"/>',
    "unknown-operation": lambda v: bare("<ser:noSuchOperation/>", soap12=v),
    "operation-in-no-namespace": lambda v: bare("<getCaptcha/>", soap12=v),
    "unknown-child": lambda v: bare(
        "<ser:verifyUser><ser:bogus>1</ser:bogus></ser:verifyUser>", soap12=v
    ),
    "not-an-int": lambda v: bare(
        "<ser:verifyUserChallengeAnswers><ser:userChallengesDTOs>"
        '<d:order xmlns:d="http://dto.mgt.identity.carbon.wso2.org/xsd">x</d:order>'
        "</ser:userChallengesDTOs></ser:verifyUserChallengeAnswers>",
        soap12=v,
    ),
    "empty-body": lambda v: bare("", soap12=v),
    "text-only-body": lambda v: bare("getCaptcha", soap12=v),
    "header-only": lambda v: bare("", soap12=v).replace(
        "<soapenv:Body></soapenv:Body>", "<soapenv:Header/>"
    ),
    "fault-as-request": lambda v: bare(
        "<soapenv:Fault><faultcode>soapenv:Client</faultcode></soapenv:Fault>", soap12=v
    ),
}


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_request_is_a_client_fault(live: LiveServer, kind: str, soap12: bool) -> None:
    response = post_raw(live, BROKEN[kind](soap12), soap12=soap12)
    assert_client_fault(response, soap12=soap12)
    no_operation_ran(live, response)


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
@pytest.mark.parametrize(
    ("charset", "data"),
    [
        pytest.param("no-such-charset", b"<ser:getCaptcha/>", id="unknown-charset"),
        pytest.param("utf-8", b"<ser:getCaptcha/><!--\xe9\xff-->", id="not-utf8"),
    ],
)
def test_body_not_in_its_charset_is_a_client_fault(
    live: LiveServer, charset: str, data: bytes, soap12: bool
) -> None:
    env_ns = SOAP12_NS if soap12 else SOAP11_NS
    body = (
        (
            f'<soapenv:Envelope xmlns:soapenv="{env_ns}" xmlns:ser="{SERVICE_NS}"><soapenv:Body>'
        ).encode()
        + data
        + b"</soapenv:Body></soapenv:Envelope>"
    )
    media_type = "application/soap+xml" if soap12 else "text/xml"
    response = post_raw(live, body, content_type=f"{media_type}; charset={charset}")
    assert_client_fault(response, soap12=soap12)
    no_operation_ran(live, response)


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
@pytest.mark.parametrize("body", [b"", b" \r\n\t "], ids=["empty", "blank"])
def test_empty_body_is_a_client_fault(live: LiveServer, body: bytes, soap12: bool) -> None:
    response = post_raw(live, body, soap12=soap12)
    assert response.status_code == 400
    assert_client_fault(response, soap12=soap12)


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
def test_crash_inside_spyne_is_a_server_fault_without_trace(
    live: LiveServer, soap12: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last line of defence: whatever escapes spyne still answers a fault, no details."""

    def crash(environ, start_response):
        raise RuntimeError("secret detail in /srv/recovery_soap/x.py")

    media_type = "application/soap+xml" if soap12 else "text/xml"
    monkeypatch.setitem(live.app.soap._by_type, media_type, crash)
    response = post_raw(live, GET_CAPTCHA, soap12=soap12)
    assert response.status_code == 500
    assert b"secret" not in response.content and not LEAKS.search(response.text)
    env_ns = SOAP12_NS if soap12 else SOAP11_NS
    fault = etree.fromstring(response.content).find(f"{{{env_ns}}}Body/{{{env_ns}}}Fault")
    assert fault is not None
    assert "18013" in "".join(fault.itertext())


# --- the rest of the URL space ----------------------------------------------------------


@pytest.mark.parametrize(("path", "text"), [("/healthz", "ok"), ("/readyz", "ready")])
def test_health_endpoints(live: LiveServer, path: str, text: str) -> None:
    response = requests.get(live.url + path, timeout=30)
    assert response.status_code == 200
    assert response.text.splitlines()[0] == text


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/services",
        "/services/",
        "/services/OtherService",
        "/services/UserInformationRecoveryServicex",
        f"{SERVICE_PATH}.UserInformationRecoveryServiceFtpEndpoint",
        f"{SERVICE_PATH}//",
        f"{SERVICE_PATH}.UserInformationRecoveryServiceHttpsSoap11Endpoint/x",
        "/healthz/extra",
        "/captcha/x.png",
        "/carbon/admin/login.jsp",
    ],
)
def test_unknown_paths_are_not_found(live: LiveServer, path: str) -> None:
    get = requests.get(live.url + path, auth=live.auth, timeout=30)
    assert get.status_code == 404
    if path.startswith(SERVICE_PATH):
        posted = post_envelope(live.url, GET_CAPTCHA, auth=live.auth, path=path)
        assert posted.status_code == 404
        no_operation_ran(live, posted)


def test_health_endpoints_take_no_post(live: LiveServer) -> None:
    response = requests.post(live.url + "/healthz", data=b"x", timeout=30)
    assert response.status_code == 405


@pytest.mark.parametrize(("soap12", "status"), [(False, 500), (True, 400)])
def test_refused_operation_keeps_the_legacy_fault_status(serve, soap12: bool, status: int) -> None:
    """A well-formed request the service refuses (here: a permission) is a fault carried on 500
    over SOAP 1.1, as WS-I R1126 and .NET/Axis2 clients expect, and on 400 (Sender) over 1.2."""
    from recovery_soap.core.model import Permission
    from tests.soap.accounts import service_account

    live = serve()
    weak = service_account(live, "carbon.super", {Permission.VIEW})
    body = envelope("verifyUser", "<ser:username>x</ser:username>", soap12=soap12)
    response = post_envelope(live.url, body, auth=weak, soap12=soap12)
    assert response.status_code == status
    assert b"not authorized" in response.content
