"""``recovery-soap rehash``: wrap every legacy digest an import copied bare in argon2id."""

from __future__ import annotations

import argparse
import sys

from recovery_soap.cli.common import EXIT_INTERRUPTED, emit, settings_for
from recovery_soap.cli.parser import Commands
from recovery_soap.cli.progress import Progress


def cmd_rehash(args: argparse.Namespace) -> int:
    from recovery_soap.app import prepare_database
    from recovery_soap.importer.rehash import Rehasher

    settings = settings_for(args)
    engine = prepare_database(settings)
    params = (settings.argon2_memory_kib, settings.argon2_time_cost)
    rehasher = Rehasher(engine, params, workers=args.workers, page_size=args.batch_size)
    try:
        passwords, answers = rehasher.remaining()
        progress = Progress(passwords + answers, verb="wrapped", noun="legacy hashes")
        rehasher.progress = progress
        try:
            rehasher.run()
        except KeyboardInterrupt:
            progress.close()
            print(
                f"recovery-soap: rehash interrupted after {rehasher.done}; "
                "run it again to continue",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED
        progress.close()
        left = rehasher.remaining()
    finally:
        engine.dispose()
    data = {"wrapped": rehasher.done, "passwords_left": left[0], "answers_left": left[1]}
    lines = [f"wrapped {rehasher.done} legacy hashes; left: {left[0]} passwords, {left[1]} answers"]
    emit(args, data, lines)
    return 0


def register(commands: Commands) -> None:
    rehash = commands.command(
        "rehash",
        cmd_rehash,
        "wrap every imported legacy digest in argon2id (resumable; safe beside the service)",
    )
    rehash.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="processes computing hashes (default: the number of CPUs)",
    )
    rehash.add_argument(
        "--batch-size",
        type=int,
        default=100,
        metavar="N",
        help="hashes per transaction (default 100: an interrupted run loses little)",
    )
