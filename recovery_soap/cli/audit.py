"""``recovery-soap audit``: the security audit trail."""

from __future__ import annotations

import argparse
import dataclasses

from recovery_soap.cli.common import emit, settings_for, tracked
from recovery_soap.cli.parser import Commands


def cmd_audit_list(args: argparse.Namespace) -> int:
    from recovery_soap.composition import audit_search, prepare_database
    from recovery_soap.core.audit_log import recent_events
    from recovery_soap.core.clock import SystemClock

    engine = tracked(prepare_database(settings_for(args)))  # closed when the command ends
    events = recent_events(
        audit_search(engine),
        SystemClock(),
        tenant=args.tenant,
        username=args.user,
        event=args.event,
        since_minutes=args.since_minutes,
        limit=args.limit,
    )
    rows = [dataclasses.asdict(e) for e in events]
    lines = [
        f"{e.at:%Y-%m-%d %H:%M:%S}  {e.event:<22} {e.outcome:<8} {e.tenant or '-':<16} "
        f"{e.username or '-':<24} caller={e.caller or '-'} from={e.client_address or '-'}"
        + (f"  {e.detail}" if e.detail else "")
        for e in events
    ]
    emit(args, rows, lines or ["no audit events"])
    return 0


def register(commands: Commands) -> None:
    audit = commands.group("audit", "the security audit trail")
    listing = audit.command("list", cmd_audit_list, "list audit events, newest first")
    listing.add_argument("--tenant")
    listing.add_argument("--user")
    listing.add_argument("--event")
    listing.add_argument("--since-minutes", type=int)
    listing.add_argument("--limit", type=int, default=100)
