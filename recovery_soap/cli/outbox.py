"""``recovery-soap outbox``: the notification outbox and its SMTP dispatcher."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from recovery_soap import logs
from recovery_soap.cli.common import EXIT_FAILED, CommandError, emit, settings_for
from recovery_soap.cli.parser import Commands
from recovery_soap.config import Settings


def _queue(settings: Settings) -> Any:
    from recovery_soap.composition import outbox_queue, prepare_database

    return outbox_queue(prepare_database(settings), settings)


def cmd_outbox_list(args: argparse.Namespace) -> int:
    messages = _queue(settings_for(args)).listing(args.status, args.limit)
    rows = [
        {
            "id": m.id,
            "kind": m.kind,
            "recipient": m.recipient,
            "status": m.status,
            "attempts": m.attempts,
            "created_at": m.created_at,
            "sent_at": m.sent_at,
            "next_attempt_at": m.next_attempt_at if m.status == "pending" else None,
            # An error of an earlier attempt is history once the message went out.
            "last_error": m.last_error if m.status != "sent" else None,
        }
        for m in messages
    ]
    lines = [
        f"{r['id']:>6}  {r['status']:<8} {r['kind']:<20} {r['recipient']:<40} "
        f"tries={r['attempts']}"
        + (f"  next={r['next_attempt_at']:%Y-%m-%d %H:%M:%S}" if r["next_attempt_at"] else "")
        + (f"  error={r['last_error']}" if r["last_error"] else "")
        for r in rows
    ]
    emit(args, rows, lines or ["the outbox is empty"])
    return 0


def cmd_outbox_retry(args: argparse.Namespace) -> int:
    from recovery_soap.core.clock import SystemClock

    queue, now = _queue(settings_for(args)), SystemClock().now()
    due = 0 if args.id else queue.retry_now(now)
    revived = queue.revive(now, args.id)
    if args.id and not revived:
        raise CommandError(f"no message with id {args.id} in the outbox that can be sent again")
    emit(
        args,
        {"queued": revived, "due_now": due},
        [f"{revived} message(s) queued again; {due} waiting message(s) due now"],
    )
    return 0


def cmd_outbox_purge(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from recovery_soap.core.clock import SystemClock

    statuses = ("sent", "dead") if args.dead_too else ("sent",)
    before = SystemClock().now() - timedelta(days=args.older_than_days)
    removed = _queue(settings_for(args)).purge(before, statuses)
    emit(args, {"removed": removed}, [f"{removed} message(s) removed"])
    return 0


def cmd_outbox_run(args: argparse.Namespace) -> int:
    import threading

    from recovery_soap.core.clock import SystemClock
    from recovery_soap.notify.dispatcher import Dispatcher
    from recovery_soap.notify.smtp import sender_for

    settings = settings_for(args)
    logs.configure(settings.log_level, settings.log_format)
    sender = sender_for(settings)
    if not sender.configured:
        raise CommandError(
            "no SMTP server configured (RECOVERY_SMTP_HOST): nothing can be delivered"
        )
    where = "the console" if settings.mail_transport == "console" else settings.smtp_host
    logging.getLogger("recovery_soap.outbox").info(
        "delivering the outbox to %s (%s)", where, "one pass" if args.once else "until stopped"
    )
    dispatcher = Dispatcher(_queue(settings), sender, SystemClock(), settings)
    if args.once:
        sent, failed = dispatcher.deliver_due(limit=10_000)
        emit(args, {"sent": sent, "failed": failed}, [f"{sent} sent, {failed} failed"])
        return 0 if failed == 0 else EXIT_FAILED
    stop = threading.Event()
    try:
        dispatcher.run(stop)
    except KeyboardInterrupt:
        stop.set()
    return 0


def register(commands: Commands) -> None:
    outbox = commands.group("outbox", "the notification outbox")
    listing = outbox.command("list", cmd_outbox_list, "list queued, sent and dead messages")
    listing.add_argument("--status", choices=("pending", "sent", "dead"))
    listing.add_argument("--limit", type=int, default=100)
    retry = outbox.command(
        "retry",
        cmd_outbox_retry,
        "make waiting messages due now, and queue dead ones (or one) that still hold their "
        "text again (a message given up by the dispatcher lost its text and code: the user "
        "asks for a new one)",
    )
    retry.add_argument("--id", type=int, help="only this message")
    purge = outbox.command(
        "purge",
        cmd_outbox_purge,
        "remove delivered messages now (the dispatcher does it after outbox_keep_days)",
    )
    purge.add_argument("--older-than-days", type=int, default=7)
    purge.add_argument("--dead-too", action="store_true", help="also remove dead messages")
    run = outbox.command(
        "run",
        cmd_outbox_run,
        "deliver the outbox by SMTP. Any number of dispatchers may run against one database, "
        "on one machine or several: each claims its own messages (an atomic claim; SKIP LOCKED "
        "on PostgreSQL) under a lease of outbox_lease_seconds, renewed while it sends, so the "
        "mail of one that crashed is sent by another within the lease. Delivery is at least "
        "once: only a message in flight at a crash can go out twice. One is enough for most "
        "installations; a second on another machine keeps mail flowing while one is down.",
    )
    run.add_argument("--once", action="store_true", help="one pass, then exit")
