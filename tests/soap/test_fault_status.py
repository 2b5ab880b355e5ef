"""Every fault the service can produce, through SOAP 1.1 and 1.2: its HTTP status, fault code and
detail element, by the book.

SOAP 1.1 (§6.2, WS-I Basic Profile R1126): every fault answering a well-formed SOAP request is
sent with 500; 400 only for a request that is not well-formed XML or not a SOAP envelope (R1113).
SOAP 1.2 (part 2, §7.5.1): a Sender fault is 400, every other fault (Receiver, MustUnderstand) 500.
``FAULTS`` is the list the product documents (docs/SOAP-FAULTS.md); a test keeps both equal.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from lxml import etree

from recovery_soap.core import callers, errors, sessions
from recovery_soap.core import claims as core_claims
from recovery_soap.core.model import Permission
from recovery_soap.soap.wsgi_server import WsgiApplication
from tests.conftest import LiveServer, unique
from tests.soap.accounts import service_account
from tests.support import SERVICE_NS, SERVICE_PATH, SOAP11_NS, SOAP12_NS, envelope, post_envelope

REPO = pathlib.Path(__file__).resolve().parents[2]
DECLARED = f"{{{SERVICE_NS}}}UserInformationRecoveryServiceIdentityMgtServiceException"
DECLARED_BASE = f"{{{SERVICE_NS}}}UserInformationRecoveryServiceIdentityException"
AUTH_NS = "http://authentication.services.core.carbon.wso2.org"
AUTH_PATH = "/services/AuthenticationAdmin"
AUTH_DECLARED = f"{{{AUTH_NS}}}AuthenticationAdminAuthenticationException"
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'


def _register(claims: str) -> Callable[[bool], str]:
    def body(soap12: bool) -> str:
        inner = (
            f"<ser:userName>{unique()}</ser:userName><ser:password>Initial#Pass123</ser:password>"
            f"{claims}<ser:profileName>default</ser:profileName>"
            "<ser:tenantDomain>carbon.super</ser:tenantDomain>"
        )
        return envelope("registerUser", inner, soap12=soap12, extra_ns=XSI)

    return body


def _other_version(soap12: bool) -> str:
    return envelope("getCaptcha", soap12=not soap12)


def _raw_envelope(soap12: bool, header: str, body: str) -> str:
    ns = SOAP12_NS if soap12 else SOAP11_NS
    return (
        f'<soapenv:Envelope xmlns:soapenv="{ns}" xmlns:ser="{SERVICE_NS}">{header}'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    )


def _must_understand(soap12: bool) -> str:
    flag = "true" if soap12 else "1"
    header = (
        '<soapenv:Header><x:Session xmlns:x="urn:example:unknown" '
        f'soapenv:mustUnderstand="{flag}">42</x:Session></soapenv:Header>'
    )
    return _raw_envelope(soap12, header, "<ser:getCaptcha/>")


def _reply_elsewhere(soap12: bool) -> str:
    header = (
        '<soapenv:Header xmlns:wsa="http://www.w3.org/2005/08/addressing">'
        "<wsa:Action>urn:getCaptcha</wsa:Action><wsa:MessageID>urn:uuid:1</wsa:MessageID>"
        "<wsa:ReplyTo><wsa:Address>http://elsewhere.example/reply</wsa:Address></wsa:ReplyTo>"
        "</soapenv:Header>"
    )
    return _raw_envelope(soap12, header, "<ser:getCaptcha/>")


def _login(soap12: bool) -> str:
    ns = SOAP12_NS if soap12 else SOAP11_NS
    return (
        f'<s:Envelope xmlns:s="{ns}" xmlns:a="{AUTH_NS}"><s:Body><a:login><a:username>x'
        "</a:username><a:password>y</a:password></a:login></s:Body></s:Envelope>"
    )


def _raise(error: BaseException) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    return fail


@dataclass(frozen=True)
class Case:
    """One fault: how to provoke it, and what both SOAP versions must answer."""

    name: str
    body: Callable[[bool], str | bytes]
    status11: int
    status12: int
    code11: str  # faultcode without prefix
    code12: str  # Code/Value without prefix (subcodes not compared)
    detail: str | None = None  # the declared fault element in <detail>, if any
    content_type: str | None = None
    weak_caller: bool = False
    patch: tuple[Any, str, Any] | None = None
    path: str = SERVICE_PATH


QUESTIONS = envelope("getUserIdentitySupportedClaims", "<ser:dialect>x</ser:dialect>")

FAULTS = [
    Case("not well-formed XML", lambda v: b"<soapenv:Envelope><unclosed>", 400, 400,
         "Client.XMLSyntaxError", "Sender"),
    Case("not a SOAP envelope", lambda v: f'<ser:getCaptcha xmlns:ser="{SERVICE_NS}"/>', 400, 400,
         "Client.SoapError", "Sender"),
    Case("envelope of the other SOAP version", _other_version, 400, 400,
         "Client.SoapError", "Sender"),
    Case("empty body", lambda v: b"", 400, 400, "Client", "Sender"),
    Case("document type declaration",
         lambda v: '<!DOCTYPE x [<!ENTITY e "y">]>' + envelope("getCaptcha", soap12=v), 400, 400,
         "Client.DTDNotAllowed", "Sender"),
    Case("unknown charset", lambda v: envelope("getCaptcha", soap12=v), 400, 400,
         "Client.EncodingError", "Sender", content_type="charset=x-no-such-charset"),
    Case("Body without an operation", lambda v: _raw_envelope(v, "", ""), 500, 400,
         "Client.SoapError", "Sender"),
    Case("a Fault as request",
         lambda v: _raw_envelope(v, "", "<soapenv:Fault/>"), 500, 400,
         "Client.SoapError", "Sender"),
    Case("unknown operation", lambda v: envelope("noSuchOperation", soap12=v), 500, 400,
         "Client.SchemaValidationError", "Sender"),
    Case("schema-invalid argument",
         lambda v: envelope("verifyUser", "<ser:nonsense>1</ser:nonsense>", soap12=v), 500, 400,
         "Client.SchemaValidationError", "Sender"),
    Case("registerUser without claims", _register(""), 500, 400,
         "Client.BadRequest", "Sender", DECLARED),
    Case("registerUser with empty claims", _register("<ser:claims/>"), 500, 400,
         "Client.BadRequest", "Sender", DECLARED),
    Case("registerUser with nil claims", _register('<ser:claims xsi:nil="true"/>'), 500, 400,
         "Client.BadRequest", "Sender", DECLARED),
    Case("operation not permitted",
         lambda v: envelope("verifyUser", "<ser:username>x</ser:username>", soap12=v), 500, 400,
         "Client", "Sender", DECLARED, weak_caller=True),
    Case("business failure without an error bean",
         lambda v: envelope("getUserIdentitySupportedClaims", "<ser:dialect>x</ser:dialect>",
                            soap12=v), 500, 500,
         "Server", "Receiver", DECLARED_BASE,
         patch=(core_claims, "supported_claims", _raise(errors.InvalidTenant("no such")))),
    Case("database unavailable during the operation",
         lambda v: envelope("getUserIdentitySupportedClaims", "<ser:dialect>x</ser:dialect>",
                            soap12=v), 500, 500,
         "Server", "Receiver", DECLARED_BASE,
         patch=(core_claims, "supported_claims", _raise(errors.Unavailable("down")))),
    Case("unexpected failure",
         lambda v: envelope("getUserIdentitySupportedClaims", "<ser:dialect>x</ser:dialect>",
                            soap12=v), 500, 500,
         "Server", "Receiver", DECLARED_BASE,
         patch=(core_claims, "supported_claims", _raise(RuntimeError("boom")))),
    Case("database unavailable before the operation",
         lambda v: envelope("getCaptcha", soap12=v), 500, 500, "Server", "Receiver",
         patch=(callers, "authenticate", _raise(errors.Unavailable("down")))),
    Case("crash outside any operation", lambda v: envelope("getCaptcha", soap12=v), 500, 500,
         "Server", "Receiver", patch=(WsgiApplication, "__call__", _raise(RuntimeError("x")))),
    Case("reply address other than anonymous", _reply_elsewhere, 500, 400,
         "Client.OnlyAnonymousAddressSupported", "Sender"),
    Case("AuthenticationAdmin: malformed request", lambda v: b"<unclosed", 400, 400,
         "Client.XMLSyntaxError", "Sender", path=AUTH_PATH),
    Case("AuthenticationAdmin: schema-invalid login", lambda v: envelope("login", soap12=v),
         500, 400, "Client.SchemaValidationError", "Sender", path=AUTH_PATH),
    Case("AuthenticationAdmin: database unavailable", _login, 500, 500, "Server", "Receiver",
         AUTH_DECLARED, path=AUTH_PATH,
         patch=(sessions, "log_in", _raise(errors.Unavailable("down")))),
    Case("header not understood", _must_understand, 500, 500,
         "MustUnderstand", "MustUnderstand"),
]  # fmt: skip


def fault_of(response: requests.Response, soap12: bool) -> tuple[str, etree._Element | None]:
    """(fault code without prefix, the element inside detail) of a fault answer."""
    ns = SOAP12_NS if soap12 else SOAP11_NS
    fault = etree.fromstring(response.content).find(f"{{{ns}}}Body/{{{ns}}}Fault")
    assert fault is not None, response.text
    if soap12:
        code = fault.findtext(f"{{{ns}}}Code/{{{ns}}}Value") or ""
        detail = fault.find(f"{{{ns}}}Detail")
    else:
        code = fault.findtext("faultcode") or ""
        detail = fault.find("detail")
    children = list(detail) if detail is not None else []
    assert len(children) <= 1
    return code.partition(":")[2] or code, children[0] if children else None


@pytest.mark.parametrize("soap12", [False, True], ids=["soap11", "soap12"])
@pytest.mark.parametrize("case", FAULTS, ids=[c.name for c in FAULTS])
def test_every_fault_has_its_status_code_and_detail(
    serve: Callable[..., LiveServer], monkeypatch: pytest.MonkeyPatch, case: Case, soap12: bool
) -> None:
    live = serve(rate_limits="off")
    auth = service_account(live, "carbon.super", {Permission.VIEW}) if case.weak_caller else None
    if case.patch is not None:
        monkeypatch.setattr(*case.patch)
    content_type = None
    if case.content_type is not None:
        media = "application/soap+xml" if soap12 else "text/xml"
        content_type = f"{media}; {case.content_type}"
    response = post_envelope(
        live.url,
        case.body(soap12),
        auth=auth or live.auth,
        soap12=soap12,
        content_type=content_type,
        path=case.path,
    )
    media_type = "application/soap+xml" if soap12 else "text/xml"
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert response.status_code == (case.status12 if soap12 else case.status11), response.text
    code, detail = fault_of(response, soap12)
    assert code == (case.code12 if soap12 else case.code11)
    assert (detail.tag if detail is not None else None) == case.detail


def test_documented_fault_list_matches() -> None:
    """docs/SOAP-FAULTS.md lists each fault with its SOAP 1.1 and 1.2 status."""
    text = (REPO / "docs" / "SOAP-FAULTS.md").read_text(encoding="utf-8")
    for case in FAULTS:
        assert f"| {case.name} | {case.status11} | {case.status12} |" in text, case.name
