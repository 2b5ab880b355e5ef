"""Raw envelopes as SoapUI and hand-written clients send them, checked on the wire."""

from __future__ import annotations

import re

import pytest
import requests
from lxml import etree

from tests.conftest import LiveServer, unique
from tests.soap.flows import SET1, SET2, confirmed_user
from tests.support import SERVICE_NS, SERVICE_PATH, SOAP11_NS, SOAP12_NS

CAPTCHA_XSD = 'xmlns:xsd="http://beans.mgt.captcha.carbon.wso2.org/xsd"'
DTO_XSD = 'xmlns:xsd="http://dto.mgt.identity.carbon.wso2.org/xsd"'
OPTIONAL = "<!--Optional:-->"
CAPTCHA = f"""
            {OPTIONAL}
            <ser:captcha>
               {OPTIONAL}
               <xsd:imagePath>?</xsd:imagePath>
               {OPTIONAL}
               <xsd:secretKey>?</xsd:secretKey>
               {OPTIONAL}
               <xsd:userAnswer>?</xsd:userAnswer>
            </ser:captcha>"""


def fields(*pairs: tuple[str, str]) -> str:
    return "".join(
        f"\n            {OPTIONAL}\n            <ser:{n}>{v}</ser:{n}>" for n, v in pairs
    )


#: Operation -> (extra namespace declarations, body as SoapUI generates it, '?' placeholders kept).
SOAPUI: dict[str, tuple[str, str]] = {
    "getCaptcha": ("", ""),
    "getAllChallengeQuestions": ("", ""),
    "getUserIdentitySupportedClaims": ("", fields(("dialect", "http://wso2.org/claims"))),
    "verifyUser": (CAPTCHA_XSD, fields(("username", "?")) + CAPTCHA),
    "sendRecoveryNotification": (
        "",
        fields(("username", ""), ("key", "?"), ("notificationType", "")),
    ),
    "verifyConfirmationCode": (CAPTCHA_XSD, fields(("username", ""), ("code", "?")) + CAPTCHA),
    "updatePassword": (
        "",
        fields(("username", "?"), ("confirmationCode", "?"), ("newPassword", "?")),
    ),
    "getUserChallengeQuestionIds": ("", fields(("username", ""), ("confirmation", "?"))),
    "getUserChallengeQuestion": (
        "",
        fields(("userName", ""), ("confirmation", ""), ("questionId", "")),
    ),
    "getUserChallengeQuestions": ("", fields(("userName", "?"), ("confirmation", "?"))),
    "verifyUserChallengeAnswer": (
        "",
        fields(("userName", ""), ("confirmation", ""), ("questionId", ""), ("answer", "")),
    ),
    "verifyUserChallengeAnswers": (
        DTO_XSD,
        fields(("userName", "?"), ("confirmation", "?"))
        + """
            <!--Zero or more repetitions:-->
            <ser:userChallengesDTOs>
               <!--Optional:-->
               <xsd:answer>?</xsd:answer>
               <!--Optional:-->
               <xsd:id>?</xsd:id>
               <!--Optional:-->
               <xsd:order>0</xsd:order>
            </ser:userChallengesDTOs>""",
    ),
    "verifyAccount": (
        'xmlns:xsd="http://dto.mgt.identity.carbon.wso2.org/xsd" '
        'xmlns:xsd1="http://beans.mgt.captcha.carbon.wso2.org/xsd"',
        """
            <!--Zero or more repetitions:-->
            <ser:claims>
               <!--Optional:-->
               <xsd:claimUri>http://wso2.org/claims/emailaddress</xsd:claimUri>
               <!--Optional:-->
               <xsd:claimValue>?</xsd:claimValue>
            </ser:claims>"""
        + CAPTCHA.replace("xsd:", "xsd1:")
        + fields(("tenantDomain", "")),
    ),
    "registerUser": (
        DTO_XSD,
        fields(("userName", ""), ("password", ""))
        + """
            <!--Zero or more repetitions:-->
            <ser:claims>
               <!--Optional:-->
               <xsd:claimUri></xsd:claimUri>
               <!--Optional:-->
               <xsd:claimValue></xsd:claimValue>
            </ser:claims>"""
        + fields(("profileName", ""), ("tenantDomain", "")),
    ),
    "confirmUserSelfRegistration": (
        CAPTCHA_XSD,
        fields(("username", ""), ("code", "?")) + CAPTCHA + fields(("tenantDomain", "")),
    ),
    "resendSignUpConfiramtionCode": (
        "",
        fields(("userName", ""), ("code", "?"), ("profileName", ""), ("tenantDomain", "")),
    ),
}
#: Operations that answer one bean, with `error` set on failure.
BEAN_OPERATIONS = set(SOAPUI) - {
    "getCaptcha",
    "getAllChallengeQuestions",
    "getUserIdentitySupportedClaims",
}
LEGACY_PATHS = [
    SERVICE_PATH,
    *(
        f"{SERVICE_PATH}.UserInformationRecoveryService{transport}{kind}Endpoint"
        for transport in ("Http", "Https")
        for kind in ("Soap11", "Soap12")
    ),
]
SOAP_VERSIONS = [pytest.param(False, id="soap11"), pytest.param(True, id="soap12")]
ERROR_TEXT = re.compile(r"^1[78]\d{3} \S")


def soapui_envelope(operation: str, *, soap12: bool, inner: str | None = None) -> str:
    """The request as SoapUI writes it: pretty-printed, soapenv/soap prefix, empty Header, and
    a self-closing element for an operation without arguments."""
    extra, body = SOAPUI.get(operation, ("", ""))
    body = body if inner is None else inner
    element = (
        f"<ser:{operation}>{body}\n      </ser:{operation}>" if body else f"<ser:{operation}/>"
    )
    prefix, ns = ("soap", SOAP12_NS) if soap12 else ("soapenv", SOAP11_NS)
    return f"""<{prefix}:Envelope xmlns:{prefix}="{ns}" xmlns:ser="{SERVICE_NS}" {extra}>
   <{prefix}:Header/>
   <{prefix}:Body>
      {element}
   </{prefix}:Body>
</{prefix}:Envelope>"""


def post(
    live: LiveServer,
    body: str,
    *,
    soap12: bool,
    path: str = SERVICE_PATH,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """POST without any SOAPAction unless the test sends one (a PHP client sends it empty)."""
    content_type = "application/soap+xml; charset=UTF-8" if soap12 else "text/xml; charset=UTF-8"
    sent = {"Content-Type": content_type, **(headers or {})}
    return requests.post(
        live.url + path, data=body.encode(), headers=sent, auth=live.auth, timeout=30
    )


def response_of(response: requests.Response, operation: str, *, soap12: bool) -> etree._Element:
    """The <opResponse> element, after checking the envelope matches the request's version."""
    assert response.status_code == 200, response.text[:500]
    media_type = "application/soap+xml" if soap12 else "text/xml"
    assert response.headers["Content-Type"].split(";")[0] == media_type
    envelope = etree.fromstring(response.content)
    env_ns = SOAP12_NS if soap12 else SOAP11_NS
    assert envelope.tag == f"{{{env_ns}}}Envelope"
    body = envelope.find(f"{{{env_ns}}}Body")
    assert body is not None and len(body) == 1
    wrapper = body[0]
    assert wrapper.tag == f"{{{SERVICE_NS}}}{operation}Response"
    returns = list(wrapper)
    assert returns, "no <return> child"
    assert all(child.tag == f"{{{SERVICE_NS}}}return" for child in returns)
    return wrapper


def field(node: etree._Element, name: str) -> str | None:
    """The text of a bean field, in whatever type namespace the bean lives."""
    found = node.find(f"{{*}}{name}")
    return None if found is None else found.text


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
@pytest.mark.parametrize("operation", sorted(SOAPUI))
def test_soapui_request_is_answered(live: LiveServer, operation: str, soap12: bool) -> None:
    sent = soapui_envelope(operation, soap12=soap12)
    headers = (
        {"Content-Type": f'application/soap+xml;charset=UTF-8;action="urn:{operation}"'}
        if soap12
        else {"SOAPAction": f'"urn:{operation}"'}
    )
    wrapper = response_of(
        post(live, sent, soap12=soap12, headers=headers), operation, soap12=soap12
    )
    if operation in BEAN_OPERATIONS:
        [bean] = list(wrapper)
        assert ERROR_TEXT.match(field(bean, "error") or ""), etree.tostring(bean)
        assert field(bean, "verified") in (None, "false")
        assert field(bean, "key") is None


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
def test_question_marks_are_read_as_values(live: LiveServer, soap12: bool) -> None:
    """SoapUI's '?' placeholders are literal text: here the user name '?'."""
    sent = soapui_envelope("updatePassword", soap12=soap12)
    [bean] = response_of(post(live, sent, soap12=soap12), "updatePassword", soap12=soap12)
    assert (field(bean, "error") or "").startswith(
        "18013 Error while updating credential for user: ?"
    )


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
def test_soapui_requests_carry_a_whole_recovery_step(live: LiveServer, soap12: bool) -> None:
    """Prefixed type namespaces (xsd:) and comments: the values really arrive."""
    name = confirmed_user(live, live.client(), answers=True)
    captcha = response_of(
        post(live, soapui_envelope("getCaptcha", soap12=soap12), soap12=soap12),
        "getCaptcha",
        soap12=soap12,
    )[0]
    captcha_xml = (
        CAPTCHA.replace(">?</xsd:imagePath>", f">{field(captcha, 'imagePath')}</xsd:imagePath>")
        .replace(">?</xsd:secretKey>", f">{field(captcha, 'secretKey')}</xsd:secretKey>")
        .replace(">?</xsd:userAnswer>", f">{live.captcha.last}</xsd:userAnswer>")
    )
    sent = soapui_envelope(
        "verifyUser", soap12=soap12, inner=fields(("username", name)) + captcha_xml
    )
    [bean] = response_of(post(live, sent, soap12=soap12), "verifyUser", soap12=soap12)
    assert field(bean, "verified") == "true", etree.tostring(bean)
    key = field(bean, "key")
    assert key

    sent = soapui_envelope(
        "getUserChallengeQuestionIds",
        soap12=soap12,
        inner=fields(("username", name), ("confirmation", key)),
    )
    [ids] = response_of(
        post(live, sent, soap12=soap12), "getUserChallengeQuestionIds", soap12=soap12
    )
    assert field(ids, "error") is None
    assert [i.text for i in ids.findall("{*}ids")] == [SET1, SET2]
    assert field(ids, "key") not in (None, key)


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
@pytest.mark.parametrize(
    "element",
    [
        pytest.param("<ser:getCaptcha/>", id="self-closing"),
        pytest.param("<ser:getCaptcha></ser:getCaptcha>", id="empty"),
        pytest.param("<ser:getCaptcha>\n         </ser:getCaptcha>", id="whitespace"),
        pytest.param("<ser:getCaptcha><!--Optional:--> </ser:getCaptcha>", id="comment"),
    ],
)
def test_operation_without_arguments_in_any_form(
    live: LiveServer, element: str, soap12: bool
) -> None:
    """Regression: whitespace inside <ser:getCaptcha> failed schema validation (Axis2 took it)."""
    prefix, ns = ("soap", SOAP12_NS) if soap12 else ("soapenv", SOAP11_NS)
    sent = (
        f'<{prefix}:Envelope xmlns:{prefix}="{ns}" xmlns:ser="{SERVICE_NS}">'
        f"<{prefix}:Body>{element}</{prefix}:Body></{prefix}:Envelope>"
    )
    [bean] = response_of(post(live, sent, soap12=soap12), "getCaptcha", soap12=soap12)
    assert field(bean, "secretKey") and field(bean, "imagePath")


GET_ALL = "getAllChallengeQuestions"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-soapaction"),
        pytest.param({"SOAPAction": '""'}, id="empty-quoted"),
        pytest.param({"SOAPAction": ""}, id="empty"),
        pytest.param({"SOAPAction": '"urn:getCaptcha"'}, id="another-operation"),
        pytest.param({"SOAPAction": "urn:nonsense"}, id="unknown-unquoted"),
    ],
)
def test_soap11_dispatches_by_body_element(live: LiveServer, headers: dict[str, str]) -> None:
    response = post(live, soapui_envelope(GET_ALL, soap12=False), soap12=False, headers=headers)
    assert len(response_of(response, GET_ALL, soap12=False)) >= 2


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("application/soap+xml", id="no-action"),
        pytest.param('application/soap+xml; charset=UTF-8; action=""', id="empty-action"),
        pytest.param('application/soap+xml;charset=UTF-8;action="urn:getCaptcha"', id="other"),
        pytest.param("application/soap+xml; action=urn:nonsense", id="unknown-unquoted"),
        pytest.param("Application/SOAP+XML; charset=utf-8", id="media-type-case"),
    ],
)
def test_soap12_dispatches_by_body_element(live: LiveServer, content_type: str) -> None:
    response = post(
        live,
        soapui_envelope(GET_ALL, soap12=True),
        soap12=True,
        headers={"Content-Type": content_type, "SOAPAction": '"urn:getCaptcha"'},
    )
    assert len(response_of(response, GET_ALL, soap12=True)) >= 2


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
@pytest.mark.parametrize("path", [*LEGACY_PATHS, *(p + "/" for p in LEGACY_PATHS)])
def test_every_legacy_endpoint_takes_both_versions(
    live: LiveServer, path: str, soap12: bool
) -> None:
    response = post(live, soapui_envelope(GET_ALL, soap12=soap12), soap12=soap12, path=path)
    response_of(response, GET_ALL, soap12=soap12)


@pytest.mark.parametrize(
    ("envelope_soap12", "content_type"),
    [
        pytest.param(True, "text/xml; charset=UTF-8", id="soap12-envelope-as-text-xml"),
        pytest.param(False, "application/soap+xml", id="soap11-envelope-as-soap12"),
    ],
)
def test_envelope_of_the_other_version_is_a_fault(
    live: LiveServer, envelope_soap12: bool, content_type: str
) -> None:
    """Axis2 reads the version from the Content-Type; a mismatched envelope is refused."""
    response = post(
        live,
        soapui_envelope("getCaptcha", soap12=envelope_soap12),
        soap12=not envelope_soap12,
        headers={"Content-Type": content_type},
    )
    # A malformed request message gets 400 (WS-I BP R1113; SOAP 1.2: a Sender fault).
    assert response.status_code == 400
    expected_ns = SOAP11_NS if content_type.startswith("text/xml") else SOAP12_NS
    fault = etree.fromstring(response.content).find(f"{{{expected_ns}}}Body/{{{expected_ns}}}Fault")
    assert fault is not None
    assert b"getCaptchaResponse" not in response.content


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
def test_refusal_fault_carries_the_legacy_exception_detail(live: LiveServer, soap12: bool) -> None:
    """Regression: SOAP 1.1 nested <detail><detail>; SOAP 1.2 lost the fault to a generic one."""
    sent = soapui_envelope(
        "registerUser",
        soap12=soap12,
        inner=fields(("userName", unique()), ("password", "Initial#Pass123")),
    )
    response = post(live, sent, soap12=soap12)
    # A fault answering a well-formed request: 500 over SOAP 1.1 (WS-I R1126), Sender 400 over 1.2.
    assert response.status_code == (400 if soap12 else 500)
    env_ns = SOAP12_NS if soap12 else SOAP11_NS
    fault = etree.fromstring(response.content).find(f"{{{env_ns}}}Body/{{{env_ns}}}Fault")
    assert fault is not None, response.text
    if soap12:
        assert fault.findtext(f"{{{env_ns}}}Code/{{{env_ns}}}Value") == "soap12env:Sender"
        message = fault.findtext(f"{{{env_ns}}}Reason/{{{env_ns}}}Text")
        detail = fault.find(f"{{{env_ns}}}Detail")
    else:
        assert fault.findtext("faultcode") == "soap11env:Client.BadRequest"
        message = fault.findtext("faultstring")
        detail = fault.find("detail")
    assert message and "18013" not in message
    assert detail is not None
    [wrapper] = list(detail)
    assert (
        wrapper.tag == f"{{{SERVICE_NS}}}UserInformationRecoveryServiceIdentityMgtServiceException"
    )
    assert [child.tag for child in wrapper] == [f"{{{SERVICE_NS}}}IdentityMgtServiceException"]


# --- whole responses, compared canonically ------------------------------------------------


def canonical(document: bytes | str) -> bytes:
    """C14N with prefixes renamed in document order: names, namespaces, order, text, attributes."""
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True)
    source = etree.fromstring(document.encode() if isinstance(document, str) else document, parser)

    def copy(node: etree._Element, parent: etree._Element | None) -> etree._Element:
        made = etree.Element(node.tag) if parent is None else etree.SubElement(parent, node.tag)
        for name, value in sorted(node.attrib.items()):
            made.set(name, value)
        made.text = node.text
        for child in node:
            copy(child, made)
        return made

    return etree.tostring(copy(source, None), method="c14n")


CLAIMS = [
    ("givenname", "First Name", "true"),
    ("lastname", "Last Name", "true"),
    ("emailaddress", "Email", "true"),
    ("organization", "Organization", "false"),
    ("streetaddress", "Address", "false"),
    ("country", "Country", "false"),
    ("telephone", "Telephone", "false"),
    ("mobile", "Mobile", "false"),
    ("im", "IM", "false"),
    ("url", "URL", "false"),
]


def expected_envelope(soap12: bool, body: str) -> str:
    env_ns = SOAP12_NS if soap12 else SOAP11_NS
    return (
        f'<e:Envelope xmlns:e="{env_ns}" xmlns:ns="{SERVICE_NS}"'
        ' xmlns:dto="http://dto.mgt.identity.carbon.wso2.org/xsd"'
        ' xmlns:bean="http://beans.mgt.identity.carbon.wso2.org/xsd">'
        f"<e:Body>{body}</e:Body></e:Envelope>"
    )


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
def test_supported_claims_response_is_exact(live: LiveServer, soap12: bool) -> None:
    returns = "".join(
        f"<ns:return><dto:claimUri>http://wso2.org/claims/{suffix}</dto:claimUri>"
        f"<dto:displayName>{display}</dto:displayName><dto:required>{required}</dto:required>"
        "</ns:return>"
        for suffix, display, required in CLAIMS
    )
    expected = expected_envelope(
        soap12,
        f"<ns:getUserIdentitySupportedClaimsResponse>{returns}"
        "</ns:getUserIdentitySupportedClaimsResponse>",
    )
    sent = soapui_envelope("getUserIdentitySupportedClaims", soap12=soap12)
    response = post(live, sent, soap12=soap12)
    assert response.status_code == 200
    assert canonical(response.content) == canonical(expected)


@pytest.mark.parametrize("soap12", SOAP_VERSIONS)
def test_error_bean_response_is_exact(live: LiveServer, soap12: bool) -> None:
    """A failure is a 200 with a bean: alphabetical fields, absent ones omitted."""
    expected = expected_envelope(
        soap12,
        "<ns:verifyUserResponse><ns:return>"
        "<bean:error>18004 Error while validating captcha</bean:error>"
        "<bean:verified>false</bean:verified>"
        "</ns:return></ns:verifyUserResponse>",
    )
    response = post(live, soapui_envelope("verifyUser", soap12=soap12), soap12=soap12)
    assert response.status_code == 200
    assert canonical(response.content) == canonical(expected)


def test_canonical_form_sees_differences() -> None:
    """The comparison above ignores prefixes only: order, text and namespaces still count."""
    base = expected_envelope(False, "<ns:a><dto:b>1</dto:b><dto:c/></ns:a>")
    renamed = base.replace("xmlns:dto=", "xmlns:other=").replace("dto:", "other:")
    assert canonical(base) == canonical(renamed)
    assert canonical(base) != canonical(
        base.replace("<dto:b>1</dto:b><dto:c/>", "<dto:c/><dto:b>1</dto:b>")
    )
    assert canonical(base) != canonical(base.replace(">1<", ">2<"))
    assert canonical(base) != canonical(base.replace("<dto:c/>", "<ns:c/>"))
