"""``recovery-soap config``, ``doctor`` and ``wsdl``: checks and references for an operator."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from recovery_soap.cli.common import EXIT_FAILED, emit, settings_for, warn_unknown_variables
from recovery_soap.cli.parser import Commands


def cmd_config(args: argparse.Namespace) -> int:
    from recovery_soap.config import reference_table

    if args.reference:
        print(reference_table())
        return 0
    settings = settings_for(args)  # raises SettingsError when a value is wrong
    warn_unknown_variables()
    where = settings.database_url.split("@")[-1]
    emit(args, {"valid": True, "database": where}, [f"configuration is valid ({where})"])
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from recovery_soap.doctor import diagnose

    findings = diagnose(settings_for(args))
    lines = [
        f"{'ok  ' if f.ok and not f.warning else 'note' if f.ok else 'FAIL'}  {f.name}: {f.message}"
        for f in findings
    ]
    emit(args, [dataclasses.asdict(f) for f in findings], lines)
    return 0 if all(f.ok for f in findings) else EXIT_FAILED


def cmd_wsdl(args: argparse.Namespace) -> int:
    from recovery_soap.soap.wsdl import render_wsdl

    sys.stdout.write(render_wsdl(args.base_url).decode("utf-8"))
    return 0


def register(commands: Commands) -> None:
    config = commands.command(
        "config", cmd_config, "check the configuration or print its reference"
    )
    config.add_argument(
        "--reference", action="store_true", help="print every setting as a Markdown table"
    )
    commands.command("doctor", cmd_doctor, "check the database, migrations, SMTP and Redis")
    wsdl = commands.command("wsdl", cmd_wsdl, "print the WSDL")
    wsdl.add_argument("--base-url", default="https://localhost:9443")
