"""The SoapUI project model (as much of the 5.x format as the project uses) and its reader."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PROJECT = ROOT / "soapui" / "UserInformationRecoveryService-soapui-project.xml"
DEFAULT_WSDL = ROOT / "wsdl" / "UserInformationRecoveryService.wsdl"
SERVICE_PATH = "/services/UserInformationRecoveryService"
CON = "http://eviware.com/soapui/config"
NS = {"con": CON}
SOAP_ENV = {
    "1_1": "http://schemas.xmlsoap.org/soap/envelope/",
    "1_2": "http://www.w3.org/2003/05/soap-envelope",
}
SCOPES = ("Project", "TestSuite", "TestCase")
NO_AUTH = "No Authorization"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class ReplayError(Exception):
    """A step, transfer, expansion or assertion that cannot be carried out or does not hold."""


# --- the project model ----------------------------------------------------------------------


@dataclass
class Assertion:
    type: str
    name: str
    config: dict[str, str]
    disabled: bool = False


@dataclass
class Credentials:
    username: str = ""
    password: str = ""
    profile: str = ""
    auth_type: str = NO_AUTH

    @property
    def enabled(self) -> bool:
        return NO_AUTH not in (self.profile, self.auth_type) and bool(self.username)


@dataclass
class RequestStep:
    name: str
    interface: str
    operation: str
    endpoint: str
    request: str
    encoding: str = "UTF-8"
    credentials: Credentials = field(default_factory=Credentials)
    assertions: list[Assertion] = field(default_factory=list)
    disabled: bool = False


@dataclass
class Transfer:
    name: str
    source_type: str
    source_step: str
    source_path: str
    target_type: str
    target_step: str
    target_path: str
    language: str = "XPATH"
    fail_on_error: bool = True
    set_null_on_missing: bool = True
    transfer_to_all: bool = False


@dataclass
class TransferStep:
    name: str
    transfers: list[Transfer]
    disabled: bool = False


@dataclass
class OtherStep:
    """A step type this replayer does not run: reported as FAIL."""

    name: str
    type: str
    disabled: bool = False


Step = RequestStep | TransferStep | OtherStep


@dataclass
class TestCase:
    __test__ = False  # not a pytest test class
    name: str
    steps: list[Step]
    properties: dict[str, str]
    fail_on_error: bool = True
    disabled: bool = False


@dataclass
class TestSuite:
    __test__ = False
    name: str
    test_cases: list[TestCase]
    properties: dict[str, str]
    disabled: bool = False


@dataclass
class Operation:
    name: str
    action: str
    calls: list[str]


@dataclass
class Interface:
    name: str
    binding: str
    soap_version: str
    definition: str
    operations: dict[str, Operation]


@dataclass
class Project:
    name: str
    soapui_version: str
    properties: dict[str, str]
    interfaces: dict[str, Interface]
    test_suites: list[TestSuite]

    def test_cases(self) -> list[TestCase]:
        return [case for suite in self.test_suites for case in suite.test_cases]


def _text(element: etree._Element, path: str, default: str = "") -> str:
    found = element.find(path, NS)
    return default if found is None or found.text is None else found.text


def _flag(element: etree._Element, name: str, default: bool) -> bool:
    value = element.get(name)
    return default if value is None else value == "true"


def _properties(element: etree._Element) -> dict[str, str]:
    return {
        _text(prop, "con:name"): _text(prop, "con:value")
        for prop in element.findall("con:properties/con:property", NS)
    }


def _assertion(element: etree._Element) -> Assertion:
    config = element.find("con:configuration", NS)
    values = {} if config is None else {etree.QName(c).localname: c.text or "" for c in config}
    type_ = element.get("type", "")
    return Assertion(type_, element.get("name") or type_, values, _flag(element, "disabled", False))


def _request_step(name: str, config: etree._Element, disabled: bool) -> RequestStep:
    request = config.find("con:request", NS)
    if request is None:
        raise ReplayError(f"request step {name!r} has no con:request")
    creds = request.find("con:credentials", NS)
    credentials = Credentials()
    if creds is not None:
        credentials = Credentials(
            username=_text(creds, "con:username"),
            password=_text(creds, "con:password"),
            profile=_text(creds, "con:selectedAuthProfile"),
            auth_type=_text(creds, "con:authType", NO_AUTH),
        )
    return RequestStep(
        name=name,
        interface=_text(config, "con:interface"),
        operation=_text(config, "con:operation"),
        endpoint=_text(request, "con:endpoint"),
        request=_text(request, "con:request"),
        encoding=_text(request, "con:encoding", "UTF-8") or "UTF-8",
        credentials=credentials,
        assertions=[_assertion(a) for a in request.findall("con:assertion", NS)],
        disabled=disabled,
    )


def _transfer(element: etree._Element) -> Transfer:
    return Transfer(
        name=_text(element, "con:name"),
        source_type=_text(element, "con:sourceType"),
        source_step=_text(element, "con:sourceStep"),
        source_path=_text(element, "con:sourcePath"),
        target_type=_text(element, "con:targetType"),
        target_step=_text(element, "con:targetStep"),
        target_path=_text(element, "con:targetPath"),
        language=_text(element, "con:type", "XPATH") or "XPATH",
        fail_on_error=_flag(element, "failOnError", True),
        set_null_on_missing=_flag(element, "setNullOnMissingSource", True),
        transfer_to_all=_flag(element, "transferToAll", False),
    )


def _step(element: etree._Element) -> Step:
    name, type_ = element.get("name", ""), element.get("type", "")
    disabled = _flag(element, "disabled", False)
    config = element.find("con:config", NS)
    if type_ == "request" and config is not None:
        return _request_step(name, config, disabled)
    if type_ == "transfer" and config is not None:
        transfers = [_transfer(t) for t in config.findall("con:transfers", NS)]
        return TransferStep(name, transfers, disabled)
    return OtherStep(name, type_, disabled)


def _interface(element: etree._Element) -> Interface:
    operations = {
        op.get("name", ""): Operation(
            op.get("name", ""),
            op.get("action", ""),
            [_text(call, "con:request") for call in op.findall("con:call", NS)],
        )
        for op in element.findall("con:operation", NS)
    }
    return Interface(
        name=element.get("name", ""),
        binding=element.get("bindingName", ""),
        soap_version=element.get("soapVersion", "1_1"),
        definition=element.get("definition", ""),
        operations=operations,
    )


def parse_project(document: bytes | str) -> Project:
    """Read a SoapUI project document (the bytes or text of the file)."""
    data = document.encode("utf-8") if isinstance(document, str) else document
    root = etree.fromstring(data, PARSER)
    if root.tag != f"{{{CON}}}soapui-project":
        raise ReplayError(f"not a SoapUI project: root element {root.tag}")
    suites = [
        TestSuite(
            name=suite.get("name", ""),
            test_cases=[
                TestCase(
                    name=case.get("name", ""),
                    steps=[_step(s) for s in case.findall("con:testStep", NS)],
                    properties=_properties(case),
                    fail_on_error=_flag(case, "failOnError", True),
                    disabled=_flag(case, "disabled", False),
                )
                for case in suite.findall("con:testCase", NS)
            ],
            properties=_properties(suite),
            disabled=_flag(suite, "disabled", False),
        )
        for suite in root.findall("con:testSuite", NS)
    ]
    interfaces = [_interface(i) for i in root.findall("con:interface", NS)]
    return Project(
        name=root.get("name", ""),
        soapui_version=root.get("soapui-version", ""),
        properties=_properties(root),
        interfaces={i.name: i for i in interfaces},
        test_suites=suites,
    )


def load_project(path: Path = DEFAULT_PROJECT) -> Project:
    return parse_project(Path(path).read_bytes())
