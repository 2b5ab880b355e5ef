"""What every command shares: its settings, its output, the engines it opened, its exit codes."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from typing import Any

from recovery_soap.config import Settings, SettingsError, load_settings
from recovery_soap.core.errors import RecoverySoapError

EXIT_USAGE = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
EMAIL_CLAIM = "http://wso2.org/claims/emailaddress"


class CommandError(RecoverySoapError):
    """An expected failure of a command: printed as one line, exit status EXIT_FAILED."""


def settings_for(args: argparse.Namespace) -> Settings:
    """The settings of this run: file and environment, then the command line's overrides."""
    settings = load_settings(config_file=getattr(args, "config", None))
    if getattr(args, "bootstrap_account", None):
        settings = settings.replace(bootstrap_account=args.bootstrap_account)
    return settings


#: Engines the running command opened, closed when it ends (no connection left to the GC).
ENGINES: list[Any] = []


def tracked(engine: Any) -> Any:
    """``engine``, closed by the error handler when the command ends."""
    ENGINES.append(engine)
    return engine


def close_engines() -> None:
    while ENGINES:
        ENGINES.pop().dispose()


def open_env(settings: Settings) -> Any:
    """The core's environment over a migrated (or checked) database."""
    from recovery_soap.app import build_services, prepare_database

    engine = tracked(prepare_database(settings))
    return build_services(settings, engine)


def read_secret(args: argparse.Namespace, prompt: str) -> str:
    """A password from standard input (--password-stdin) or a terminal prompt, never an argument."""
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for the password: pipe it in with --password-stdin")
    return getpass.getpass(prompt)


def emit(args: argparse.Namespace, data: Any, lines: Sequence[str]) -> None:
    """The command's result: ``data`` as JSON with --json, otherwise ``lines`` for a person."""
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, default=str))
    else:
        for line in lines:
            print(line)


def pairs(values: Sequence[str], what: str) -> list[tuple[str, str]]:
    """``KEY=VALUE`` arguments split once; anything else is a usage mistake."""
    found = []
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise SettingsError(f"{what} must be given as KEY=VALUE: {value!r}")
        found.append((key, rest))
    return found


def warn_unknown_variables() -> None:
    from recovery_soap.config import unknown_variables

    for warning in unknown_variables():
        print(f"recovery-soap: warning: {warning}", file=sys.stderr)
