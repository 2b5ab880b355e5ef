#!/usr/bin/env python3
"""Replay the SoapUI project's test suites against a running recovery-soap service.

    python scripts/soapui_replay.py --url http://127.0.0.1:8000 --user ci --password SECRET

A small reader of the SoapUI 5.x project format, as much of it as
soapui/UserInformationRecoveryService-soapui-project.xml uses; not a SoapUI clone:

- test suites, test cases and test steps run in file order; a test case with failOnError="true"
  stops at its first failed step (the remaining steps are reported as SKIP);
- request steps: the step's endpoint and request, Basic credentials (sent preemptively), the
  SOAPAction of the step's interface operation and the content type of its SOAP version;
- property-transfer steps: XPath (with `declare namespace` lines) from a previous step's
  response or request to a test case, suite or project property, or into a later step's request;
- assertions: SOAP Response, Not SOAP Fault, SOAP Fault, Valid/Invalid HTTP Status Codes,
  XPath Match (XPath 1.0 through lxml) and Contains/Not Contains;
- property expansion: ${#Project#x}, ${#TestSuite#x}, ${#TestCase#x} (recursively, as SoapUI
  does) and ${=...} for the few Groovy expressions the project uses (random UUIDs, the clock).

Anything else (another step or assertion type, an unknown property, another Groovy expression)
is a FAIL, never silently skipped. One line per step and per assertion, PASS or FAIL, then
`N passed, M failed`; the exit status is 0 only when something ran and nothing failed.

`--url` sets the project property Endpoint (the service path is added when the URL has none),
`--user`/`--password` the properties Username/Password, `-P NAME=VALUE` any project property.
`--sync-wsdl` copies wsdl/UserInformationRecoveryService.wsdl into the project's definition
cache (scripts/update-wsdl runs it).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import time
import uuid
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

if TYPE_CHECKING:  # imported where used, so --sync-wsdl needs lxml only
    import requests

ROOT = Path(__file__).resolve().parents[1]
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
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


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
    root = etree.fromstring(data, _PARSER)
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


# --- property expansion -----------------------------------------------------------------------

Scopes = Mapping[str, MutableMapping[str, str]]

_SOURCES: dict[str, Callable[[], str]] = {
    "java.util.UUID.randomUUID().toString()": lambda: str(uuid.uuid4()),
    "UUID.randomUUID().toString()": lambda: str(uuid.uuid4()),
    "System.currentTimeMillis().toString()": lambda: str(time.time_ns() // 1_000_000),
}
_METHODS: dict[str, Callable[..., str]] = {
    "replace": lambda value, old, new: value.replace(old, new),
    "substring": lambda value, start, end=None: value[start:end],
    "take": lambda value, count: value[:count],
    "toUpperCase": lambda value: value.upper(),
    "toLowerCase": lambda value: value.lower(),
}
_CALL = re.compile(r"\.(\w+)\(([^()]*)\)")


def groovy(expression: str) -> str:
    """The few Groovy expressions the project uses: a random UUID or the clock, as a string,
    then String methods (replace, substring, take, toUpperCase, toLowerCase)."""
    text = expression.strip()
    for source, make in _SOURCES.items():
        if text.startswith(source):
            value, rest = make(), text[len(source) :]
            break
    else:
        raise ReplayError(f"unsupported Groovy expression ${{={expression}}}")
    while rest:
        call = _CALL.match(rest)
        method = _METHODS.get(call.group(1)) if call else None
        if call is None or method is None:
            raise ReplayError(f"unsupported Groovy expression ${{={expression}}} at {rest!r}")
        try:
            args = ast.literal_eval(f"({call.group(2)},)") if call.group(2).strip() else ()
            value = method(value, *args)
        except (ValueError, SyntaxError, TypeError) as exc:
            raise ReplayError(f"cannot evaluate ${{={expression}}}: {exc}") from exc
        rest = rest[call.end() :]
    return value


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return -1


def expand(text: str, scopes: Scopes, depth: int = 0) -> str:
    """Expand ${...} as SoapUI does; a property's value is expanded in turn."""
    if depth > 10:
        raise ReplayError("property expansion nested too deeply (a property refers to itself?)")
    out, index = [], 0
    while (start := text.find("${", index)) >= 0:
        end = _closing_brace(text, start + 2)
        if end < 0:
            raise ReplayError(f"unclosed property expansion {text[start : start + 40]!r}")
        out.append(text[index:start])
        out.append(_resolve(text[start + 2 : end], scopes, depth))
        index = end + 1
    out.append(text[index:])
    return "".join(out)


def _resolve(inner: str, scopes: Scopes, depth: int) -> str:
    if inner.startswith("="):
        return groovy(inner[1:])
    inner = expand(inner, scopes, depth + 1)
    scope, _, name = inner[1:].partition("#")
    if not inner.startswith("#") or scope not in SCOPES:
        raise ReplayError(f"unsupported property expansion ${{{inner}}}")
    properties = scopes[scope]
    if name not in properties:
        raise ReplayError(f"unknown property ${{{inner}}}")
    return expand(properties[name], scopes, depth + 1)


# --- XPath ------------------------------------------------------------------------------------

_DECLARE = re.compile(r"\s*declare\s+namespace\s+([\w.-]+)\s*=\s*(['\"])(.*?)\2\s*;")


def split_xpath(text: str) -> tuple[dict[str, str], str]:
    """SoapUI's `declare namespace p='uri';` lines, then the expression."""
    namespaces, position = {}, 0
    while declaration := _DECLARE.match(text, position):
        namespaces[declaration.group(1)] = declaration.group(3)
        position = declaration.end()
    return namespaces, text[position:].strip()


def parse_xml(content: str | bytes, what: str) -> etree._Element:
    try:
        data = content.encode("utf-8") if isinstance(content, str) else content
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ReplayError(f"{what} is not XML: {exc}") from exc


def select(document: etree._Element, path: str) -> Any:
    namespaces, expression = split_xpath(path)
    if not expression:
        raise ReplayError("empty XPath")
    try:
        return document.xpath(expression, namespaces=namespaces)
    except etree.XPathError as exc:
        raise ReplayError(f"bad XPath [{expression}]: {exc}") from exc


def values_of(result: Any) -> list[str]:
    """An XPath result as the strings SoapUI compares: booleans as true/false, whole numbers
    without a fraction, an element as its own text."""
    if isinstance(result, bool):
        return ["true" if result else "false"]
    if isinstance(result, float):
        return [str(int(result)) if result.is_integer() else str(result)]
    if isinstance(result, str):
        return [str(result)]
    values = []
    for item in result:
        if isinstance(item, etree._Element):
            values.append("".join(item.xpath("text()")))
        else:
            values.append(str(item))
    return values


# --- a run ------------------------------------------------------------------------------------


@dataclass
class Exchange:
    request: str
    status: int
    content: bytes
    soap_version: str
    _document: etree._Element | None = None

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def document(self) -> etree._Element:
        if self._document is None:
            self._document = parse_xml(self.content, "the response")
        return self._document


@dataclass
class Outcome:
    """One line of the report: a step (assertion is None) or one of its assertions."""

    test_case: str
    step: str
    assertion: str | None
    status: str  # PASS, FAIL or SKIP
    detail: str = ""

    @property
    def line(self) -> str:
        name = " / ".join(x for x in (self.test_case, self.step, self.assertion) if x)
        return f"{self.status}  {name}" + (f": {self.detail}" if self.detail else "")


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def passed(self) -> int:
        return self.count("PASS")

    @property
    def failed(self) -> int:
        return self.count("FAIL")

    @property
    def skipped(self) -> int:
        return self.count("SKIP")

    @property
    def steps(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.assertion is None]

    @property
    def assertions(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.assertion is not None]

    @property
    def summary(self) -> str:
        return f"{self.passed} passed, {self.failed} failed"

    @property
    def exit_status(self) -> int:
        return 0 if self.passed and not self.failed and not self.skipped else 1


def check(assertion: Assertion, exchange: Exchange, scopes: Scopes) -> str:
    """Evaluate one assertion; returns a note, raises ReplayError when it does not hold."""
    kind, config = assertion.type, assertion.config
    if kind in ("SOAP Response", "SOAP Fault Assertion", "Not SOAP Fault Assertion"):
        envelope = exchange.document()
        env = SOAP_ENV.get(exchange.soap_version, SOAP_ENV["1_1"])
        body = envelope.find(f"{{{env}}}Body")
        if envelope.tag != f"{{{env}}}Envelope" or body is None:
            raise ReplayError(f"not a SOAP {exchange.soap_version} envelope: {envelope.tag}")
        fault = body.find(f"{{{env}}}Fault") is not None
        if kind == "SOAP Fault Assertion" and fault:  # SoapUI's id of "Not SOAP Fault"
            raise ReplayError("Response is a SOAP Fault")
        if kind == "Not SOAP Fault Assertion" and not fault:  # SoapUI's id of "SOAP Fault"
            raise ReplayError("Response is not a SOAP Fault")
        return ""
    if kind in ("Valid HTTP Status Codes", "Invalid HTTP Status Codes"):
        codes = {c.strip() for c in expand(config.get("codes", ""), scopes).split(",")} - {""}
        if not codes:
            raise ReplayError("no status codes configured")
        listed = str(exchange.status) in codes
        if listed != (kind == "Valid HTTP Status Codes"):
            raise ReplayError(f"HTTP {exchange.status}, codes {','.join(sorted(codes))}")
        return ""
    if kind == "XPath Match":
        return _xpath_match(config, exchange, scopes)
    if kind in ("Simple Contains", "Simple NotContains"):
        token = expand(config.get("token", ""), scopes).replace("\r\n", "\n")
        if not token:
            raise ReplayError("empty token: it would prove nothing")
        content = exchange.text.replace("\r\n", "\n")
        if config.get("useRegEx") == "true":
            found = re.search(token, content, re.S) is not None
        elif config.get("ignoreCase") == "true":
            found = token.upper() in content.upper()
        else:
            found = token in content
        if found != (kind == "Simple Contains"):
            raise ReplayError(f"{'Missing' if found is False else 'Unexpected'} token [{token}]")
        return ""
    raise ReplayError(f"unsupported assertion type {kind!r}")


def _xpath_match(config: dict[str, str], exchange: Exchange, scopes: Scopes) -> str:
    path = expand(config.get("path", ""), scopes)
    expected = expand(config.get("content", ""), scopes)
    shown = split_xpath(path)[1]
    values = values_of(select(exchange.document(), path))
    if not values:
        raise ReplayError(f"Missing content for xpath [{shown}]")
    if config.get("allowWildcards") == "true":
        pattern = ".*".join(re.escape(part) for part in expected.split("*"))
        matched = any(re.fullmatch(pattern, v, re.S) for v in values)
    else:
        matched = expected in values
    if not matched:
        raise ReplayError(
            f"XPathContains comparison failed for path [{shown}], expecting [{expected}], "
            f"actual was [{values[0]}]"
        )
    return ""


class _CaseRun:
    """One test case: its properties, the requests as transfers changed them, the exchanges."""

    def __init__(self, runner: Runner, suite: TestSuite, case: TestCase) -> None:
        self.runner, self.case = runner, case
        self.scopes: Scopes = {
            "Project": runner.properties,
            "TestSuite": dict(suite.properties),
            "TestCase": dict(case.properties),
        }
        self.steps = {step.name: step for step in case.steps}
        self.requests = {s.name: s.request for s in case.steps if isinstance(s, RequestStep)}
        self.exchanges: dict[str, Exchange] = {}

    def emit(self, step: str, assertion: str | None, status: str, detail: str = "") -> None:
        self.runner.emit(Outcome(self.case.name, step, assertion, status, detail))

    def run(self) -> None:
        failed = False
        for step in self.case.steps:
            if step.disabled:
                continue
            if failed and self.case.fail_on_error:
                self.emit(step.name, None, "SKIP", "an earlier step of the test case failed")
                continue
            if isinstance(step, RequestStep):
                ok = self.request(step)
            elif isinstance(step, TransferStep):
                ok = self.transfer(step)
            else:
                self.emit(step.name, None, "FAIL", f"unsupported test step type {step.type!r}")
                ok = False
            failed = failed or not ok

    # request steps

    def request(self, step: RequestStep) -> bool:
        try:
            exchange, note = self.send(step)
        except ReplayError as exc:
            self.emit(step.name, None, "FAIL", str(exc))
            for assertion in step.assertions:
                if not assertion.disabled:
                    self.emit(step.name, assertion.name, "FAIL", "no response")
            return False
        self.exchanges[step.name] = exchange
        self.emit(step.name, None, "PASS", note)
        ok = True
        for assertion in step.assertions:
            if assertion.disabled:
                continue
            try:
                self.emit(
                    step.name, assertion.name, "PASS", check(assertion, exchange, self.scopes)
                )
            except ReplayError as exc:
                self.emit(step.name, assertion.name, "FAIL", str(exc))
                ok = False
        return ok

    def send(self, step: RequestStep) -> tuple[Exchange, str]:
        interface = self.runner.project.interfaces.get(step.interface)
        if interface is None:
            raise ReplayError(f"no interface {step.interface!r} in the project")
        operation = interface.operations.get(step.operation)
        if operation is None:
            raise ReplayError(f"no operation {step.operation!r} in {step.interface}")
        endpoint = expand(step.endpoint, self.scopes)
        body = expand(self.requests[step.name], self.scopes)
        encoding = step.encoding
        if interface.soap_version == "1_2":
            content_type = f'application/soap+xml;charset={encoding};action="{operation.action}"'
            headers = {"Content-Type": content_type}
        else:
            headers = {
                "Content-Type": f"text/xml;charset={encoding}",
                "SOAPAction": f'"{operation.action}"',
            }
        credentials = step.credentials
        auth = None
        if credentials.enabled:
            auth = (
                expand(credentials.username, self.scopes),
                expand(credentials.password, self.scopes),
            )
        import requests

        started = time.monotonic()
        try:
            response = self.runner.session.post(
                endpoint,
                data=body.encode(encoding),
                headers=headers,
                auth=auth,
                timeout=self.runner.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise ReplayError(f"POST {endpoint}: {exc}") from exc
        elapsed = (time.monotonic() - started) * 1000
        exchange = Exchange(body, response.status_code, response.content, interface.soap_version)
        return exchange, f"HTTP {response.status_code} from {endpoint} ({elapsed:.0f} ms)"

    # property-transfer steps

    def transfer(self, step: TransferStep) -> bool:
        problems, done = [], []
        for transfer in step.transfers:
            try:
                self.apply(transfer)
                done.append(f"{transfer.name} -> {transfer.target_step}")
            except ReplayError as exc:
                problems.append(f"{transfer.name}: {exc}")
        if not step.transfers:
            problems.append("no transfers configured")
        if problems:
            self.emit(step.name, None, "FAIL", "; ".join(problems))
            return False
        self.emit(step.name, None, "PASS", "transferred " + ", ".join(done))
        return True

    def apply(self, transfer: Transfer) -> None:
        if transfer.language.upper() != "XPATH":
            raise ReplayError(f"unsupported transfer language {transfer.language}")
        value = self.source_value(transfer)
        if value is None:
            if transfer.fail_on_error:
                raise ReplayError(f"missing source value in {transfer.source_step}")
            if not transfer.set_null_on_missing:
                return
            value = ""
        self.set_target(transfer, value)

    def source_value(self, transfer: Transfer) -> str | None:
        scope = _scope_marker(transfer.source_step)
        if scope:
            properties = self.scopes[scope]
            if transfer.source_type not in properties:
                raise ReplayError(f"no property {transfer.source_type!r} in {scope}")
            content = properties[transfer.source_type]
        else:
            exchange = self.exchanges.get(transfer.source_step)
            if exchange is None:
                raise ReplayError(f"step {transfer.source_step!r} has not run")
            if transfer.source_type == "Response":
                content = exchange.text
            elif transfer.source_type == "Request":
                content = exchange.request
            else:
                raise ReplayError(f"unsupported source {transfer.source_type!r}")
        path = expand(transfer.source_path, self.scopes)
        if not path.strip():
            return content
        values = values_of(select(parse_xml(content, transfer.source_step), path))
        return values[0] if values else None

    def set_target(self, transfer: Transfer, value: str) -> None:
        scope = _scope_marker(transfer.target_step)
        if scope:
            properties = self.scopes[scope]
            if transfer.target_type not in properties:
                raise ReplayError(f"no property {transfer.target_type!r} in {scope}")
            properties[transfer.target_type] = value
            return
        if transfer.target_step not in self.requests:
            raise ReplayError(f"no request step {transfer.target_step!r} in the test case")
        if transfer.target_type != "Request":
            raise ReplayError(f"unsupported target {transfer.target_type!r}")
        document = parse_xml(self.requests[transfer.target_step], transfer.target_step)
        nodes = select(document, expand(transfer.target_path, self.scopes))
        elements = (
            [n for n in nodes if isinstance(n, etree._Element)] if isinstance(nodes, list) else []
        )
        if not elements:
            raise ReplayError(f"target path selects no element in {transfer.target_step}")
        for element in elements if transfer.transfer_to_all else elements[:1]:
            element.text = value
        self.requests[transfer.target_step] = etree.tostring(document, encoding="unicode")


def _scope_marker(step: str) -> str | None:
    """'#TestCase#' and friends name property holders rather than steps."""
    name = step.strip("#")
    return name if step.startswith("#") and step.endswith("#") and name in SCOPES else None


class Runner:
    def __init__(
        self,
        project: Project,
        *,
        session: requests.Session,
        properties: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        out: Callable[[str], None] | None = None,
    ) -> None:
        self.project = project
        self.properties = {**project.properties, **(properties or {})}
        self.session = session
        self.timeout = timeout
        self.out = out
        self.report = Report()

    def emit(self, outcome: Outcome) -> None:
        self.report.outcomes.append(outcome)
        if self.out is not None:
            self.out(outcome.line)

    def run(self, test_cases: list[str] | None = None) -> Report:
        wanted = set(test_cases or [])
        for suite in self.project.test_suites:
            if suite.disabled:
                continue
            for case in suite.test_cases:
                if case.disabled or (wanted and case.name not in wanted):
                    continue
                _CaseRun(self, suite, case).run()
        if wanted - {c.name for c in self.project.test_cases()}:
            missing = ", ".join(sorted(wanted - {c.name for c in self.project.test_cases()}))
            self.emit(Outcome("", "", None, "FAIL", f"no test case named {missing}"))
        return self.report


def replay(
    project: Project,
    *,
    properties: Mapping[str, str] | None = None,
    test_cases: list[str] | None = None,
    session: requests.Session | None = None,
    timeout: float = 30.0,
    out: Callable[[str], None] | None = None,
) -> Report:
    """Run the project's test cases (all, or those named) and return the report."""
    if session is None:
        import requests

        with requests.Session() as own:
            return replay(
                project,
                properties=properties,
                test_cases=test_cases,
                session=own,
                timeout=timeout,
                out=out,
            )
    runner = Runner(project, session=session, properties=properties, timeout=timeout, out=out)
    return runner.run(test_cases)


def endpoint_for(url: str) -> str:
    """The service address for a base URL (kept as given when it already names a service)."""
    url = url.rstrip("/")
    return url if "/services/" in url else url + SERVICE_PATH


# --- the definition cache -------------------------------------------------------------------

_CACHE = re.compile(
    r"(<con:definitionCache\b.*?<con:content><!\[CDATA\[)(.*?)(\]\]></con:content>)", re.S
)


def cached_definitions(document: bytes | str) -> list[str]:
    """The WSDL texts in the project's definition caches."""
    data = document.encode("utf-8") if isinstance(document, str) else document
    root = etree.fromstring(data, _PARSER)
    return [c.text or "" for c in root.iterfind(".//con:definitionCache/con:part/con:content", NS)]


def sync_definition(project_path: Path = DEFAULT_PROJECT, wsdl_path: Path = DEFAULT_WSDL) -> bool:
    """Copy the checked-in WSDL into every definition cache of the project; True if changed."""
    text = project_path.read_text(encoding="utf-8")
    wsdl = wsdl_path.read_text(encoding="utf-8")
    if "]]>" in wsdl:
        raise ReplayError("the WSDL contains ']]>' and cannot go into a CDATA section")
    if not _CACHE.search(text):
        raise ReplayError(f"{project_path} has no definition cache")
    updated = _CACHE.sub(lambda m: m.group(1) + wsdl + m.group(3), text)
    if updated == text:
        return False
    project_path.write_text(updated, encoding="utf-8")
    return True


# --- command line -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Replay the SoapUI project's test cases against a running service."
    )
    parser.add_argument("--url", help="service base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--user", help="service account (project property Username)")
    parser.add_argument("--password", help="its password (project property Password)")
    parser.add_argument("--project", type=Path, default=DEFAULT_PROJECT, help="project file")
    parser.add_argument(
        "-P",
        "--property",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a project property (repeatable)",
    )
    parser.add_argument("--test-case", action="append", metavar="NAME", help="run only these")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument(
        "--sync-wsdl",
        action="store_true",
        help="copy wsdl/UserInformationRecoveryService.wsdl into the project's definition cache",
    )
    args = parser.parse_args(argv)
    try:
        import requests  # noqa: F401 - the replayer's HTTP client
    except ImportError:
        print("the replayer needs requests: pip install -e '.[client]'", file=sys.stderr)
        return 2
    if args.sync_wsdl:
        changed = sync_definition(args.project)
        print(f"{'updated' if changed else 'up to date:'} {args.project}")
        return 0
    properties: dict[str, str] = {}
    for item in args.property:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"-P expects NAME=VALUE, got {item!r}")
        properties[name] = value
    if args.url:
        properties["Endpoint"] = endpoint_for(args.url)
    if args.user is not None:
        properties["Username"] = args.user
    if args.password is not None:
        properties["Password"] = args.password
    if "Endpoint" not in properties:
        parser.error("give --url (or -P Endpoint=...)")
    try:
        project = load_project(args.project)
    except (OSError, etree.XMLSyntaxError, ReplayError) as exc:
        print(f"cannot read {args.project}: {exc}", file=sys.stderr)
        return 2
    report = replay(
        project,
        properties=properties,
        test_cases=args.test_case,
        timeout=args.timeout,
        out=lambda line: print(line, flush=True),
    )
    if report.skipped:
        print(f"{report.skipped} steps skipped after a failed step")
    if not report.outcomes:
        print("nothing ran")
    if report.exit_status:
        print(
            "note: the project expects RECOVERY_CAPTCHA_VERIFICATION=off and "
            "RECOVERY_NOTIFICATION_SENDING=external on the server (docs/testing.md, SoapUI); "
            "a server with the defaults fails its captcha and notification steps"
        )
    print(report.summary)
    return report.exit_status


if __name__ == "__main__":
    sys.exit(main())
