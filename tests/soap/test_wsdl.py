"""The WSDL: the checked-in copy, what ?wsdl serves, and the legacy contract it must keep."""

from __future__ import annotations

import pathlib
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
import requests
import zeep
from lxml import etree
from zeep.transports import Transport

from recovery_soap.soap.wsdl import render_wsdl
from tests.conftest import LiveServer
from tests.soap.flows import confirmed_user
from tests.support import SERVICE_NS, SERVICE_PATH

REPO = pathlib.Path(__file__).resolve().parents[2]
CHECKED_IN = REPO / "wsdl" / "UserInformationRecoveryService.wsdl"
LEGACY_DIR = REPO.parent / "shared" / "conformance" / "legacy"
LEGACY_WSDL = LEGACY_DIR / "UserInformationRecoveryService.wsdl"
LEGACY_13_WSDL = LEGACY_DIR / "UserInformationRecoveryService.13-operations.wsdl"

ADDRESS_TAGS = (
    "{http://schemas.xmlsoap.org/wsdl/soap/}address",
    "{http://schemas.xmlsoap.org/wsdl/soap12/}address",
    "{http://schemas.xmlsoap.org/wsdl/http/}address",
)
SOAP11_BINDING = f"{{{SERVICE_NS}}}UserInformationRecoveryServiceSoap11Binding"
SOAP12_BINDING = f"{{{SERVICE_NS}}}UserInformationRecoveryServiceSoap12Binding"
ENDPOINT = "UserInformationRecoveryService.UserInformationRecoveryService{}Endpoint"
#: Each port's address element -> the endpoint it names, on plain HTTP (Axis2's port naming).
HTTP_ENDPOINTS = {
    ADDRESS_TAGS[0]: ENDPOINT.format("HttpSoap11") + "/",
    ADDRESS_TAGS[1]: ENDPOINT.format("HttpSoap12") + "/",
    ADDRESS_TAGS[2]: ENDPOINT.format("Http") + "/",
}
HTTPS_ENDPOINTS = {tag: path.replace("Http", "Https", 1) for tag, path in HTTP_ENDPOINTS.items()}
LEGACY_PATHS = [
    SERVICE_PATH,
    *(
        f"/services/{ENDPOINT.format(transport + kind)}"
        for transport in ("Http", "Https")
        for kind in ("Soap11", "Soap12", "")
    ),
]


def shared_file(path: pathlib.Path) -> pathlib.Path:
    if not path.is_file():
        pytest.skip(f"{path} is not available (../shared sits beside the repository in CI)")
    return path


def parse(document: bytes) -> etree._Element:
    return etree.fromstring(document, etree.XMLParser(remove_blank_text=True))


def addresses(document: bytes) -> dict[str, str]:
    """Address element tag -> location, for every port of the service."""
    root = parse(document)
    found = {node.tag: node.get("location") for tag in ADDRESS_TAGS for node in root.iter(tag)}
    assert len(found) == len(ADDRESS_TAGS), found
    return found


def without_addresses(document: bytes) -> bytes:
    """The canonical form (C14N) of a WSDL whose service addresses are removed."""
    root = parse(document)
    for tag in ADDRESS_TAGS:
        for node in root.iter(tag):
            del node.attrib["location"]
    return etree.tostring(root, method="c14n")


def fetch_wsdl(url: str, **headers: str) -> requests.Response:
    response = requests.get(f"{url}{SERVICE_PATH}?wsdl", headers=headers, timeout=30)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/xml")
    return response


def test_checked_in_wsdl_is_current() -> None:
    assert CHECKED_IN.read_bytes() == render_wsdl(), "run scripts/update-wsdl"
    assert addresses(CHECKED_IN.read_bytes()) == {
        tag: f"https://localhost:9443/services/{path}" for tag, path in HTTPS_ENDPOINTS.items()
    }


def test_served_wsdl_is_the_checked_in_one(live: LiveServer) -> None:
    served = fetch_wsdl(live.url).content
    assert without_addresses(served) == without_addresses(CHECKED_IN.read_bytes())
    assert addresses(served) == {
        tag: f"{live.url}/services/{path}" for tag, path in HTTP_ENDPOINTS.items()
    }


@pytest.mark.parametrize("path", [*LEGACY_PATHS, *(p + "/" for p in LEGACY_PATHS)])
@pytest.mark.parametrize("query", ["wsdl", "WSDL"])
def test_every_endpoint_serves_the_wsdl(live: LiveServer, path: str, query: str) -> None:
    response = requests.get(f"{live.url}{path}?{query}", timeout=30)
    assert response.status_code == 200
    assert without_addresses(response.content) == without_addresses(CHECKED_IN.read_bytes())


def test_head_wsdl_has_headers_only(live: LiveServer) -> None:
    response = requests.head(f"{live.url}{SERVICE_PATH}?wsdl", timeout=30)
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(fetch_wsdl(live.url).content)
    assert response.content == b""


@pytest.mark.parametrize("host", ["127.0.0.1", "recovery.example.org:8080", "[::1]:9000"])
def test_addresses_follow_the_host_header(live: LiveServer, host: str) -> None:
    served = fetch_wsdl(live.url, Host=host).content
    assert addresses(served) == {
        tag: f"http://{host}/services/{path}" for tag, path in HTTP_ENDPOINTS.items()
    }


def wsgi_wsdl(app: Any, **headers: str) -> bytes:
    """GET ?wsdl from the WSGI app in process: the test server drops X-Forwarded-* itself."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": SERVICE_PATH,
        "QUERY_STRING": "wsdl",
        "HTTP_HOST": "internal:8000",
        "REMOTE_ADDR": "127.0.0.1",  # trust_proxy trusts a proxy on the same host
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    setup_testing_defaults(environ)
    status: list[str] = []
    body = b"".join(app(environ, lambda s, h, exc_info=None: status.append(s)))
    assert status == ["200 OK"]
    return body


PROXY_HEADERS = {"X_Forwarded_Proto": "https", "X_Forwarded_Host": "id.example.org"}


def test_forwarded_headers_are_ignored_by_default(live: LiveServer) -> None:
    served = wsgi_wsdl(live.app, **PROXY_HEADERS)
    assert addresses(served) == {
        tag: f"http://internal:8000/services/{path}" for tag, path in HTTP_ENDPOINTS.items()
    }


def test_forwarded_headers_are_honoured_behind_a_trusted_proxy(serve) -> None:
    server = serve(trust_proxy=True)
    served = wsgi_wsdl(server.app, **PROXY_HEADERS)
    assert addresses(served) == {
        tag: f"https://id.example.org/services/{path}" for tag, path in HTTPS_ENDPOINTS.items()
    }
    # Without the headers the request's own Host still applies.
    assert addresses(wsgi_wsdl(server.app))[ADDRESS_TAGS[0]] == (
        f"http://internal:8000/services/{HTTP_ENDPOINTS[ADDRESS_TAGS[0]]}"
    )


# --- the legacy contract ---------------------------------------------------------------------


def element_signature(element: Any, depth: int = 0) -> tuple:
    """Name, occurrence bounds, nillability, type and (recursively) children of an XSD element."""
    kind = element.type
    qname = getattr(kind, "qname", None)
    children = ()
    if hasattr(kind, "elements") and depth < 6:
        children = tuple(element_signature(child, depth + 1) for _, child in kind.elements)
    return (
        element.qname.text,
        element.min_occurs,
        str(element.max_occurs),
        bool(element.nillable),
        qname.text if qname is not None else type(kind).__name__,
        children,
    )


def binding_contract(client: zeep.Client, binding: str) -> dict[str, tuple]:
    """Operation -> (soapAction, request signature, response signature, declared fault names)."""
    operations = client.wsdl.bindings[binding]._operations
    return {
        name: (
            op.soapaction,
            element_signature(op.input.body),
            element_signature(op.output.body),
            sorted(op.faults),
        )
        for name, op in operations.items()
    }


@pytest.fixture(scope="module")
def legacy_client() -> zeep.Client:
    return zeep.Client(str(shared_file(LEGACY_WSDL)))


@pytest.fixture(scope="module")
def our_client() -> zeep.Client:
    """The checked-in WSDL, which the tests above hold equal to the served one."""
    return zeep.Client(str(CHECKED_IN))


@pytest.mark.parametrize("binding", [SOAP11_BINDING, SOAP12_BINDING], ids=["soap11", "soap12"])
def test_bindings_keep_the_legacy_contract(legacy_client, our_client, binding: str) -> None:
    legacy = binding_contract(legacy_client, binding)
    ours = binding_contract(our_client, binding)
    assert len(legacy) == 16
    assert sorted(ours) == sorted(legacy)
    for name, contract in legacy.items():
        assert ours[name][0] == contract[0] == f"urn:{name}"
        assert ours[name][1] == contract[1], f"{name} request"
        assert ours[name][2] == contract[2], f"{name} response"
        assert ours[name][3] == contract[3], f"{name} faults"


def test_ports_and_bindings_keep_the_legacy_names(legacy_client, our_client) -> None:
    def ports(client: zeep.Client) -> dict[str, str]:
        service = client.wsdl.services["UserInformationRecoveryService"]
        return {name: port.binding.name.text for name, port in service.ports.items()}

    assert ports(our_client) == ports(legacy_client)
    assert set(our_client.wsdl.bindings) == set(legacy_client.wsdl.bindings)


def test_the_served_wsdl_also_parses_as_a_client(live: LiveServer) -> None:
    service = live.client()
    questions = service.getAllChallengeQuestions()
    assert {q.questionSetId for q in questions} == {
        "http://wso2.org/claims/challengeQuestion1",
        "http://wso2.org/claims/challengeQuestion2",
    }


@pytest.mark.parametrize("binding", [SOAP11_BINDING, SOAP12_BINDING], ids=["soap11", "soap12"])
def test_client_from_older_legacy_wsdl_works(live: LiveServer, binding: str) -> None:
    """Clients generated from 13-operation servers keep working against this service."""
    session = requests.Session()
    session.auth = live.auth
    old = zeep.Client(str(shared_file(LEGACY_13_WSDL)), transport=Transport(session=session))
    assert "verifyUserChallengeAnswers" not in old.wsdl.bindings[binding]._operations
    service = old.create_service(binding, live.url + SERVICE_PATH)

    questions = service.getAllChallengeQuestions()
    assert len(questions) >= 2
    assert all(q.question and q.questionSetId for q in questions)

    name = confirmed_user(live, live.client())
    bean = service.verifyUser(username=name, captcha=live.solve_captcha(service))
    assert bean.verified is True
    assert bean.key and bean.error is None
