"""WS-Addressing and mustUnderstand: Axis2 clients with addressing engaged are served and get the
addressing headers they expect back; a header block the service does not understand but must is
refused with the standard MustUnderstand fault instead of being ignored."""

from __future__ import annotations

import pytest
import requests
import zeep
from lxml import etree
from zeep.transports import Transport
from zeep.wsa import WsAddressingPlugin

from tests.conftest import LiveServer
from tests.support import SERVICE_NS, SOAP11_NS, SOAP12_NS, post_envelope

WSA = "http://www.w3.org/2005/08/addressing"
WSA_SUBMISSION = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
ANONYMOUS = {WSA: f"{WSA}/anonymous", WSA_SUBMISSION: f"{WSA_SUBMISSION}/role/anonymous"}
SOAP_VERSIONS = [pytest.param(False, id="soap11"), pytest.param(True, id="soap12")]
WSA_VERSIONS = [pytest.param(WSA, id="wsa-2005"), pytest.param(WSA_SUBMISSION, id="wsa-2004")]


def request(soap12: bool, header: str, operation: str = "getAllChallengeQuestions") -> str:
    ns = SOAP12_NS if soap12 else SOAP11_NS
    return (
        f'<soapenv:Envelope xmlns:soapenv="{ns}" xmlns:ser="{SERVICE_NS}">'
        f"<soapenv:Header>{header}</soapenv:Header>"
        f"<soapenv:Body><ser:{operation}/></soapenv:Body></soapenv:Envelope>"
    )


def addressing(wsa: str, live: LiveServer, *, must_understand: str = "") -> str:
    flag = f' soapenv:mustUnderstand="{must_understand}"' if must_understand else ""
    return (
        f'<wsa:Action xmlns:wsa="{wsa}"{flag}>urn:getAllChallengeQuestions</wsa:Action>'
        f'<wsa:To xmlns:wsa="{wsa}"{flag}>{live.url}/services/UserInformationRecoveryService'
        "</wsa:To>"
        f'<wsa:MessageID xmlns:wsa="{wsa}"{flag}>urn:uuid:0f6c2b4e-1</wsa:MessageID>'
        f'<wsa:ReplyTo xmlns:wsa="{wsa}"{flag}><wsa:Address>{ANONYMOUS[wsa]}</wsa:Address>'
        "</wsa:ReplyTo>"
    )


def answer_headers(response: requests.Response, soap12: bool) -> etree._Element | None:
    ns = SOAP12_NS if soap12 else SOAP11_NS
    return etree.fromstring(response.content).find(f"{{{ns}}}Header")


@pytest.mark.parametrize("wsa", WSA_VERSIONS)
@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
@pytest.mark.parametrize("must_understand", ["", "1"], ids=["plain", "mustUnderstand"])
def test_addressed_request_is_answered_with_relates_to_and_action(
    live: LiveServer, soap12: bool, wsa: str, must_understand: str
) -> None:
    flag = ("true" if soap12 else "1") if must_understand else ""
    body = request(soap12, addressing(wsa, live, must_understand=flag))
    response = post_envelope(
        live.url, body, auth=live.auth, soap12=soap12, action="urn:getAllChallengeQuestions"
    )
    assert response.status_code == 200, response.text
    assert b"getAllChallengeQuestionsResponse" in response.content
    header = answer_headers(response, soap12)
    assert header is not None, response.text
    assert header.findtext(f"{{{wsa}}}RelatesTo") == "urn:uuid:0f6c2b4e-1"
    assert header.findtext(f"{{{wsa}}}Action") == "urn:getAllChallengeQuestionsResponse"
    assert (header.findtext(f"{{{wsa}}}MessageID") or "").startswith("urn:uuid:")


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
def test_fault_of_an_addressed_request_carries_the_fault_action(
    live: LiveServer, soap12: bool
) -> None:
    header = addressing(WSA, live) + '<x:Unknown xmlns:x="urn:x" soapenv:mustUnderstand="{}"/>'
    body = request(soap12, header.format("true" if soap12 else "1"))
    response = post_envelope(live.url, body, auth=live.auth, soap12=soap12)
    assert response.status_code == 500
    found = answer_headers(response, soap12)
    assert found is not None
    assert found.findtext(f"{{{WSA}}}Action") == f"{WSA}/soap/fault"
    assert found.findtext(f"{{{WSA}}}RelatesTo") == "urn:uuid:0f6c2b4e-1"
    if soap12:  # SOAP 1.2 names the block not understood
        [block] = found.findall(f"{{{SOAP12_NS}}}NotUnderstood")
        prefix, _, local = block.get("qname").partition(":")
        assert (block.nsmap[prefix], local) == ("urn:x", "Unknown")


def test_request_without_addressing_gets_no_addressing_headers(live: LiveServer) -> None:
    response = post_envelope(live.url, request(False, ""), auth=live.auth)
    assert response.status_code == 200
    assert WSA.encode() not in response.content


@pytest.mark.parametrize(
    ("soap12", "attributes"),
    [
        pytest.param(False, 'soapenv:mustUnderstand="0"', id="soap11-optional"),
        pytest.param(True, 'soapenv:mustUnderstand="false"', id="soap12-optional"),
        pytest.param(False, 'soapenv:mustUnderstand="1" soapenv:actor="urn:other"', id="actor"),
        pytest.param(
            True,
            'soapenv:mustUnderstand="true" '
            'soapenv:role="http://www.w3.org/2003/05/soap-envelope/role/none"',
            id="role-none",
        ),
    ],
)
def test_blocks_not_for_this_node_or_optional_are_ignored(
    live: LiveServer, soap12: bool, attributes: str
) -> None:
    body = request(soap12, f'<x:Trace xmlns:x="urn:x" {attributes}>1</x:Trace>')
    response = post_envelope(live.url, body, auth=live.auth, soap12=soap12)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
def test_unknown_mandatory_block_runs_no_operation(live: LiveServer, soap12: bool) -> None:
    flag = "true" if soap12 else "1"
    header = f'<x:Session xmlns:x="urn:x" soapenv:mustUnderstand="{flag}">1</x:Session>'
    response = post_envelope(live.url, request(soap12, header, "getCaptcha"), auth=live.auth,
                             soap12=soap12)  # fmt: skip
    assert response.status_code == 500
    assert b"MustUnderstand" in response.content
    assert live.captcha.last == ""


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
def test_zeep_with_ws_addressing_runs_the_operations(live: LiveServer, soap12: bool) -> None:
    session = requests.Session()
    session.auth = live.auth
    client = zeep.Client(
        f"{live.url}/services/UserInformationRecoveryService?wsdl",
        transport=Transport(session=session, timeout=30, operation_timeout=30),
        plugins=[WsAddressingPlugin()],
    )
    binding = "Soap12Binding" if soap12 else "Soap11Binding"
    service = client.create_service(
        f"{{{SERVICE_NS}}}UserInformationRecoveryService{binding}",
        f"{live.url}/services/UserInformationRecoveryService",
    )
    assert len(service.getAllChallengeQuestions()) >= 2
    captcha = service.getCaptcha()
    assert captcha.secretKey
    bean = service.verifyUser(username="nobody-here", captcha=live.solve_captcha(service))
    assert bean.verified is False and bean.error
