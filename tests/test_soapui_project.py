"""The SoapUI project in soapui/, replayed step by step against a live server so it cannot rot.

The server runs as README's stable configuration (captcha off, external notifications), the one
the project targets. Counts are pinned: a project that loses steps or assertions fails here, and a
deliberately broken assertion must be reported, so the replayer cannot pass vacuously.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from lxml import etree

from tests.conftest import ACCOUNT, LiveServer
from tests.support import SERVICE_NS, SERVICE_PATH
from tools import soapui

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP_BINDING_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
BINDING = "UserInformationRecoveryServiceSoap11Binding"
SIGNUP = "Self sign-up"
RECOVERY = "Password recovery by e-mailed code"
CATALOGUE = "Challenge questions and claims"
#: Steps per test case and assertions in all: change them with the project, and only then.
STEPS = {SIGNUP: 4, RECOVERY: 11, CATALOGUE: 4}
ASSERTIONS = 70
#: Operations the test cases must exercise (brief: sign-up, recovery by code, catalogue).
EXERCISED = {
    "registerUser",
    "confirmUserSelfRegistration",
    "verifyUser",
    "sendRecoveryNotification",
    "verifyConfirmationCode",
    "updatePassword",
    "getAllChallengeQuestions",
    "getUserIdentitySupportedClaims",
}


@pytest.fixture(scope="module")
def project() -> soapui.Project:
    return soapui.load_project()


def properties_for(live: LiveServer) -> dict[str, str]:
    return {
        "Endpoint": soapui.endpoint_for(live.url),
        "Username": ACCOUNT[0],
        "Password": ACCOUNT[1],
    }


def run(live: LiveServer, project: soapui.Project, *cases: str) -> tuple[soapui.Report, list[str]]:
    lines: list[str] = []
    report = soapui.replay(
        project, properties=properties_for(live), test_cases=list(cases), out=lines.append
    )
    return report, lines


def request_steps(project: soapui.Project) -> list[soapui.RequestStep]:
    return [
        step
        for case in project.test_cases()
        for step in case.steps
        if isinstance(step, soapui.RequestStep)
    ]


# --- the file itself ------------------------------------------------------------------------


def test_project_is_a_soapui_5_project(project: soapui.Project) -> None:
    root = etree.parse(str(soapui.DEFAULT_PROJECT)).getroot()
    assert root.tag == "{http://eviware.com/soapui/config}soapui-project"
    assert project.soapui_version.startswith("5.")
    [interface] = project.interfaces.values()
    assert interface.name == BINDING
    assert interface.binding == f"{{{SERVICE_NS}}}{BINDING}"
    assert interface.soap_version == "1_1"
    assert interface.definition.endswith(f"{SERVICE_PATH}?wsdl")
    assert {"Endpoint", "Username", "Password"} <= set(project.properties)
    assert [case.name for case in project.test_cases()] == list(STEPS)
    for step in request_steps(project):
        assert step.endpoint == "${#Project#Endpoint}", step.name
        assert step.credentials.username == "${#Project#Username}", step.name
        assert "${#Project#Password}" in step.credentials.password, step.name
        assert (step.credentials.profile, step.credentials.auth_type) == ("Basic", "Preemptive")
        assert step.operation in interface.operations, step.name


def test_definition_cache_is_the_checked_in_wsdl() -> None:
    cached = soapui.cached_definitions(soapui.DEFAULT_PROJECT.read_bytes())
    assert cached == [soapui.DEFAULT_WSDL.read_text(encoding="utf-8")], (
        "the project's WSDL cache is stale: run scripts/update-wsdl "
        "(or python scripts/soapui_replay.py --sync-wsdl)"
    )


def test_sync_wsdl_refreshes_a_stale_cache(tmp_path: Path) -> None:
    copied = tmp_path / "project.xml"
    shutil.copy(soapui.DEFAULT_PROJECT, copied)
    text = copied.read_text(encoding="utf-8")
    wsdl = soapui.DEFAULT_WSDL.read_text(encoding="utf-8")
    copied.write_text(text.replace(wsdl, "<stale/>"), encoding="utf-8")
    assert soapui.cached_definitions(copied.read_bytes()) == ["<stale/>"]
    assert soapui.sync_definition(copied) is True
    assert copied.read_text(encoding="utf-8") == text
    assert soapui.sync_definition(copied) is False


def test_every_served_operation_has_a_request(
    external: LiveServer, project: soapui.Project
) -> None:
    response = requests.get(f"{external.url}{SERVICE_PATH}?wsdl", timeout=30)
    assert response.status_code == 200
    wsdl = etree.fromstring(response.content)
    [binding] = wsdl.xpath("wsdl:binding[@name=$n]", namespaces={"wsdl": WSDL_NS}, n=BINDING)
    served = {
        op.get("name"): op.find(f"{{{SOAP_BINDING_NS}}}operation").get("soapAction")
        for op in binding.iterfind(f"{{{WSDL_NS}}}operation")
    }
    assert len(served) == 16
    interface = project.interfaces[BINDING]
    assert {name: op.action for name, op in interface.operations.items()} == served
    for name, operation in interface.operations.items():
        assert operation.calls, f"no request for {name}"
        for call in operation.calls:
            envelope = etree.fromstring(call.encode())
            body = envelope.find(f"{{{SOAP11_ENV}}}Body")
            assert body is not None and body[0].tag == f"{{{SERVICE_NS}}}{name}", name


# --- replayed against the live service -----------------------------------------------------


def test_every_step_passes(external: LiveServer, project: soapui.Project) -> None:
    report, lines = run(external, project)
    assert report.failed == 0 and report.skipped == 0, "\n".join(lines)
    assert all(line.startswith("PASS  ") for line in lines)
    for case, count in STEPS.items():
        assert len([o for o in report.steps if o.test_case == case]) == count, case
    assert len(report.assertions) == ASSERTIONS
    assert report.passed == sum(STEPS.values()) + ASSERTIONS
    assert report.exit_status == 0
    ran = {step.operation for step in request_steps(project)}
    assert ran >= EXERCISED
    transfers = [o for o in report.steps if o.detail.startswith("transferred ")]
    assert len(transfers) == 5


def test_command_line(external: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--url", external.url, "--user", ACCOUNT[0], "--test-case", CATALOGUE]
    assert soapui.main([*argv, "--password", ACCOUNT[1]]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == f"{len(out) - 1} passed, 0 failed"
    assert len(out) - 1 == STEPS[CATALOGUE] + 19
    assert soapui.main([*argv, "--password", "not-the-password"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("FAIL  ") for line in out)
    assert out[-1].endswith(" failed") and not out[-1].endswith(" 0 failed")


# --- the replayer cannot pass vacuously ----------------------------------------------------


def find_assertion(project: soapui.Project, step: str, name: str) -> soapui.Assertion:
    for candidate in request_steps(project):
        if candidate.name == step:
            for assertion in candidate.assertions:
                if assertion.name == name:
                    return assertion
    raise LookupError(f"{step} / {name}")


def expect_value(p: soapui.Project) -> None:
    find_assertion(p, "getUserIdentitySupportedClaims", "ten supported claims").config[
        "content"
    ] = "11"


def select_nothing(p: soapui.Project) -> None:
    assertion = find_assertion(p, "getUserIdentitySupportedClaims", "e-mail is required")
    assertion.config["path"] = assertion.config["path"].replace("emailaddress", "nosuchclaim")


def contain_other(p: soapui.Project) -> None:
    find_assertion(p, "getAllChallengeQuestions", "a default question").config["token"] = "Nope"


def other_status(p: soapui.Project) -> None:
    find_assertion(p, "getCaptcha", "Valid HTTP Status Codes").config["codes"] = "201,202"


def unknown_type(p: soapui.Project) -> None:
    find_assertion(p, "getCaptcha", "SOAP Response").type = "Schema Compliance"


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        pytest.param(expect_value, "expecting [11], actual was [10]", id="xpath-expected-value"),
        pytest.param(select_nothing, "Missing content for xpath", id="xpath-selects-nothing"),
        pytest.param(contain_other, "Missing token [Nope]", id="simple-contains"),
        pytest.param(other_status, "HTTP 200", id="status-codes"),
        pytest.param(unknown_type, "unsupported assertion type", id="unknown-assertion"),
    ],
)
def test_broken_assertion_is_reported(
    external: LiveServer,
    project: soapui.Project,
    breakage: Callable[[soapui.Project], None],
    message: str,
) -> None:
    broken = copy.deepcopy(project)
    breakage(broken)
    report, lines = run(external, broken, CATALOGUE)
    [failure] = [o for o in report.outcomes if o.status == "FAIL"]
    assert failure.assertion is not None and message in failure.detail, failure.line
    assert f"FAIL  {CATALOGUE} / " in "\n".join(lines)
    assert report.exit_status == 1
    assert report.summary.endswith(" 1 failed")


def test_broken_transfer_fails_and_stops_the_test_case(
    external: LiveServer, project: soapui.Project
) -> None:
    broken = copy.deepcopy(project)
    [case] = [c for c in broken.test_cases() if c.name == SIGNUP]
    [step] = [s for s in case.steps if isinstance(s, soapui.TransferStep)]
    step.transfers[1].source_path = step.transfers[1].source_path.replace("Code", "Kode")
    report, _ = run(external, broken, SIGNUP)
    [failure] = [o for o in report.outcomes if o.status == "FAIL"]
    assert failure.step == step.name and "missing source value" in failure.detail
    assert [o.step for o in report.outcomes if o.status == "SKIP"] == [
        "confirmUserSelfRegistration",
        "confirmUserSelfRegistration again",
    ]
    assert report.exit_status == 1


def test_nothing_to_run_is_not_a_success() -> None:
    empty = soapui.parse_project(
        '<con:soapui-project xmlns:con="http://eviware.com/soapui/config" name="x" '
        'soapui-version="5.7.0"/>'
    )
    with requests.Session() as session:
        report = soapui.replay(empty, session=session)
    assert report.outcomes == [] and report.exit_status == 1


# --- property expansion ---------------------------------------------------------------------


def test_expansion_of_the_forms_the_project_uses() -> None:
    scopes = {
        "Project": {"Endpoint": "http://h${#Project#Path}", "Path": "/s"},
        "TestSuite": {},
        "TestCase": {"user": "alice"},
    }
    assert soapui.expand("${#Project#Endpoint}|${#TestCase#user}", scopes) == "http://h/s|alice"
    unique = "${=java.util.UUID.randomUUID().toString().replace('-', '').substring(0, 12)}"
    first, second = soapui.expand(unique, scopes), soapui.expand(unique, scopes)
    assert len(first) == 12 and first != second and "-" not in first
    for text in ("${#TestCase#nobody}", "${=new File('/etc/passwd').text}", "${user}", "${#X#y}"):
        with pytest.raises(soapui.ReplayError):
            soapui.expand(text, scopes)
    with pytest.raises(soapui.ReplayError, match="nested too deeply"):
        soapui.expand("${#TestCase#loop}", {**scopes, "TestCase": {"loop": "${#TestCase#loop}"}})
