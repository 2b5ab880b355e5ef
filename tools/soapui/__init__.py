"""A replayer of the SoapUI project's test suites (``python scripts/soapui_replay.py``), also
used by the tests as a library: the names below are its public face."""

from tools.soapui.checks import Exchange, check, split_xpath
from tools.soapui.definitions import cached_definitions, sync_definition
from tools.soapui.expansion import expand, groovy
from tools.soapui.main import main
from tools.soapui.model import (
    DEFAULT_PROJECT,
    DEFAULT_WSDL,
    Assertion,
    Credentials,
    Project,
    ReplayError,
    RequestStep,
    TestCase,
    TestSuite,
    Transfer,
    TransferStep,
    load_project,
    parse_project,
)
from tools.soapui.run import Outcome, Report, Runner, endpoint_for, replay

__all__ = [
    "DEFAULT_PROJECT",
    "DEFAULT_WSDL",
    "Assertion",
    "Credentials",
    "Exchange",
    "Outcome",
    "Project",
    "ReplayError",
    "Report",
    "RequestStep",
    "Runner",
    "TestCase",
    "TestSuite",
    "Transfer",
    "TransferStep",
    "cached_definitions",
    "check",
    "endpoint_for",
    "expand",
    "groovy",
    "load_project",
    "main",
    "parse_project",
    "replay",
    "split_xpath",
    "sync_definition",
]
