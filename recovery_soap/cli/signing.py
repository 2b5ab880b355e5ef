"""``recovery-soap keys``: the keys that sign access tokens."""

from __future__ import annotations

import argparse

from recovery_soap.cli.common import emit, settings_for
from recovery_soap.cli.parser import Commands


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    from recovery_soap.composition import key_ring, prepare_database
    from recovery_soap.core.clock import SystemClock

    settings = settings_for(args)
    engine = prepare_database(settings)
    try:
        ring = key_ring(engine, settings, SystemClock())
        kid = ring.rotate(revoke_previous=args.revoke_previous)
    finally:
        engine.dispose()
    kept = (
        "the previous keys and their tokens are revoked (workers drop them within 30 seconds)"
        if args.revoke_previous
        else f"the previous key stays published for {settings.token_minutes} minutes, until "
        "the tokens it signed expire"
    )
    emit(args, {"kid": kid}, [f"new signing key {kid}; {kept}"])
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from datetime import datetime

    from recovery_soap.composition import key_ring, prepare_database, signing_keys
    from recovery_soap.core.clock import SystemClock

    settings = settings_for(args)
    engine = prepare_database(settings)
    store = signing_keys(engine)
    try:
        ring = key_ring(engine, settings, SystemClock())
        published = {k["kid"]: k for k in ring.jwks()["keys"]}
        stored = [k for k in store.listing(datetime.min) if k.kid in published]
    finally:
        engine.dispose()
    # The newest key not retired signs new tokens; the others only verify until they expire.
    signing = next((k.kid for k in stored if k.retired_at is None), None)
    rows = [
        {
            "kid": k.kid,
            "alg": published[k.kid].get("alg"),
            "created_at": k.created_at,
            "retired_at": k.retired_at,
            "signing": k.kid == signing,
        }
        for k in stored
    ]
    lines = [
        f"{k.kid}  {published[k.kid].get('alg')}  created {k.created_at:%Y-%m-%d %H:%M}  "
        + (
            "signing"
            if k.kid == signing
            else f"verifying only (retired {k.retired_at:%Y-%m-%d %H:%M})"
        )
        for k in stored
    ]
    emit(args, rows, lines)
    return 0


def register(commands: Commands) -> None:
    keys = commands.group("keys", "the keys that sign access tokens")
    rotate = keys.command(
        "rotate", cmd_keys_rotate, "sign new tokens with a new key; keep the old a while"
    )
    rotate.add_argument(
        "--revoke-previous",
        action="store_true",
        help="drop the previous keys at once: every token they signed stops working (a leak)",
    )
    keys.command("list", cmd_keys_list, "list the published signing keys")
