"""The parser's parts: one-line usage errors, command groups that add their own commands, and
the help of options many commands share."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

from recovery_soap.cli.common import EXIT_USAGE

Handler = Callable[[argparse.Namespace], int]

#: Help of the options many commands share, written once.
COMMON_HELP = {
    "tenant": "tenant domain (default: carbon.super)",
    "claim": "a claim of the user (repeat)",
    "password_stdin": "read the password from standard input instead of a terminal prompt",
    "answer": "a challenge answer: question set URI, '=', the question, '!', the answer (repeat)",
    "order": "position of the question in its set (default: 0)",
    "status": "only messages in this state",
    "limit": "at most this many rows (default: 100)",
    "older_than_days": "only messages older than this many days (default: 7)",
    "user": "only events of this user name",
    "event": "only events of this kind (e.g. password_changed)",
    "since_minutes": "only events of the last N minutes",
    "base_url": "address the WSDL's endpoints name (default: https://localhost:9443)",
}


class Parser(argparse.ArgumentParser):
    """Usage mistakes in one line (the command's --help has the rest)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"recovery-soap: {message} (see {self.prog} --help)\n")


class Commands:
    """The subcommands of one parser: a command runs a handler, a group holds more commands."""

    def __init__(self, parser: argparse.ArgumentParser, dest: str, metavar: str) -> None:
        self._choices: Any = parser.add_subparsers(dest=dest, required=True, metavar=metavar)

    def command(self, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        """A command with --json, run by ``handler``."""
        sub: argparse.ArgumentParser = self._choices.add_parser(
            name, help=help_text, description=help_text
        )
        sub.add_argument("--json", action="store_true", help="machine-readable output")
        sub.set_defaults(handler=handler)
        return sub

    def group(self, name: str, help_text: str) -> Commands:
        """A group of commands, chosen by its ACTION argument."""
        sub = self._choices.add_parser(name, help=help_text, description=help_text)
        return Commands(sub, "action", "ACTION")


def fill_common_help(parser: argparse.ArgumentParser) -> None:
    """Give the shared options without a help of their own the common one, in every command."""
    for action in parser._actions:
        if action.option_strings and not action.help and action.dest in COMMON_HELP:
            action.help = COMMON_HELP[action.dest]
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                fill_common_help(sub)
