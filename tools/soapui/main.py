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
import sys
from pathlib import Path

from lxml import etree

from tools.soapui.definitions import sync_definition
from tools.soapui.model import DEFAULT_PROJECT, ReplayError, load_project
from tools.soapui.run import endpoint_for, replay


def build_parser() -> argparse.ArgumentParser:
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
    return parser


def project_properties(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, str]:
    """-P pairs, then --url, --user and --password over them; an endpoint is required."""
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
    return properties


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
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
    properties = project_properties(parser, args)
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
