"""Running a project's test cases: steps in file order, transfers, assertions, the report."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from tools.soapui.checks import Exchange, check, parse_xml, select, values_of
from tools.soapui.expansion import Scopes, expand
from tools.soapui.model import (
    SCOPES,
    SERVICE_PATH,
    Project,
    ReplayError,
    RequestStep,
    TestCase,
    TestSuite,
    Transfer,
    TransferStep,
)

if TYPE_CHECKING:  # imported where used, so --sync-wsdl needs lxml only
    import requests


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
