"""The ``recovery-soap`` command line: serving, set-up and administration.

One module per command group registers its own subcommands (``parser``); :func:`main` runs the
chosen one and is the single place where an expected error becomes one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from recovery_soap.cli import (
    accounts,
    audit,
    checks,
    database,
    exporting,
    importing,
    outbox,
    rehashing,
    serve,
    signing,
    tenants,
    users,
)
from recovery_soap.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CommandError,
    close_engines,
)
from recovery_soap.cli.parser import Commands, Parser, fill_common_help
from recovery_soap.config import SettingsError

__all__ = ["CommandError", "build_parser", "main"]


def _fail(message: object, status: int) -> int:
    print(f"recovery-soap: {message}", file=sys.stderr)
    return status


def build_parser() -> argparse.ArgumentParser:
    """Every command, each group registered by its own module."""
    parser = Parser(
        prog="recovery-soap",
        description="UserInformationRecoveryService: serve it and administer its data. "
        "Settings come from RECOVERY_* environment variables and an optional TOML file.",
    )
    parser.add_argument("--config", help="TOML settings file (also RECOVERY_CONFIG)")
    commands = Commands(parser, "command", "COMMAND")
    # In the order --help lists them.
    groups = (serve, database, tenants, accounts, signing, users, outbox, audit, checks)
    for module in (*groups, importing, exporting, rehashing):
        module.register(commands)
    fill_common_help(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Expected failures are one line on stderr with a documented status:
    2 for a usage or configuration mistake, 1 for a command that could not do its work, 130 when
    interrupted. Anything else is a defect and keeps its traceback."""
    args = build_parser().parse_args(argv)
    from recovery_soap.composition import SchemaOutdated
    from recovery_soap.core.errors import RecoveryError, RequestRefused, Unavailable
    from recovery_soap.importer import SourceError

    try:
        return int(args.handler(args))
    except (SettingsError, SchemaOutdated) as error:
        return _fail(error, EXIT_USAGE)
    except (RecoveryError, RequestRefused) as error:
        return _fail(error.message, EXIT_FAILED)
    except (Unavailable, CommandError, SourceError) as error:
        return _fail(error, EXIT_FAILED)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    finally:
        close_engines()
