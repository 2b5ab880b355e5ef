"""Delivering the outbox: claim due messages, send each, record the outcome; never lose one.

A claim is a short lease (``outbox_lease_seconds``) renewed while the batch is being sent, so
any number of dispatchers can run against one database: each takes its own messages, and the
messages of one that crashed are sent by another once its lease runs out (at-least-once: only
a message in flight at the crash can go out twice). Sent and dead messages lose their text at
once and their record after ``outbox_keep_days``.

The log names the message id and kind, never the body (it holds the user's code); an SMTP
outage is logged once when it starts, sparingly while it lasts and once when it ends.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from datetime import timedelta

from recovery_soap import observe
from recovery_soap.config import Settings
from recovery_soap.core.errors import Unavailable
from recovery_soap.core.ports import Clock
from recovery_soap.notify.smtp import Sender
from recovery_soap.outages import OutageLog
from recovery_soap.store.outbox_queue import OutboxQueue, QueuedMessage

log = logging.getLogger("recovery_soap.outbox")
PURGE_EVERY_SECONDS = 600.0


class Dispatcher:
    def __init__(
        self, queue: OutboxQueue, sender: Sender, clock: Clock, settings: Settings
    ) -> None:
        self._queue = queue
        self._sender = sender
        self._clock = clock
        self._settings = settings
        self._lease = timedelta(seconds=settings.outbox_lease_seconds)
        self._smtp = OutageLog(
            log, "SMTP server", "mail waits in the outbox", settings.outage_log_interval_seconds
        )
        self._purged_at: float | None = None

    def outbox_counts(self) -> dict[str, int]:
        return self._queue.counts()

    def deliver_due(self, limit: int = 20) -> tuple[int, int]:
        """Send what is due now; returns (sent, failed). Without SMTP, messages stay queued."""
        if not self._sender.configured:
            return 0, 0
        sent = failed = 0
        batch = self._queue.claim(self._clock.now(), self._lease, limit)
        renewed = time.monotonic()
        for position, message in enumerate(batch):
            if time.monotonic() - renewed > self._lease.total_seconds() / 3:
                rest = [m.id for m in batch[position:]]
                self._queue.renew(rest, self._clock.now(), self._lease)
                renewed = time.monotonic()
            if self._send(message):
                sent += 1
            else:
                failed += 1
        return sent, failed

    def _send(self, message: QueuedMessage) -> bool:
        if not message.readable:
            return self._failed(message, "sealed with another key (secret_key changed)", 0)
        try:
            self._sender.send(
                message.recipient, message.subject, message.body, message.html, message.sender
            )
        except (OSError, smtplib.SMTPException) as exc:
            self._smtp.failed(exc)
            return self._failed(message, f"{type(exc).__name__}: {exc}")
        self._smtp.succeeded()
        self._queue.mark_sent(message.id, self._clock.now())
        observe.record_delivery("sent")
        log.info("outbox message %s (%s) delivered", message.id, message.kind)
        return True

    def _failed(self, message: QueuedMessage, error: str, max_attempts: int | None = None) -> bool:
        observe.record_delivery("failed")
        limit = self._settings.outbox_max_attempts if max_attempts is None else max_attempts
        status = self._queue.mark_failed(message, self._clock.now(), error, limit)
        # The recipient stays out of the log (personal data): `outbox list` shows it. A retry
        # is routine (the outage is logged once); giving up on a message is not.
        level = logging.WARNING if status == "dead" else logging.DEBUG
        log.log(
            level, "outbox message %s (%s) not delivered; now %s", message.id, message.kind, status
        )
        return False

    def purge_old(self) -> int:
        """Remove sent and dead messages older than ``outbox_keep_days`` (0: keep them)."""
        days = self._settings.outbox_keep_days
        if days <= 0:
            return 0
        removed = self._queue.purge(self._clock.now() - timedelta(days=days), ("sent", "dead"))
        if removed:
            log.info(
                "outbox: %d delivered or dead message(s) older than %d days removed", removed, days
            )
        return removed

    def _purge_when_due(self) -> None:
        now = time.monotonic()
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY_SECONDS:
            self._purged_at = now
            self.purge_old()

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set; a failing pass is logged and retried next time."""
        database = OutageLog(
            log, "database", "mail waits in the outbox", self._settings.outage_log_interval_seconds
        )
        while not stop.is_set():
            try:
                self._purge_when_due()
                while sum(self.deliver_due()) > 0 and not stop.is_set():
                    pass
                database.succeeded()
            except Unavailable as exc:  # keep the loop alive through database outages
                database.failed(exc.__cause__ or exc)  # the log names the driver's error
            except Exception:  # and through anything else, which is a fault worth a trace
                log.exception("outbox delivery pass failed")
            stop.wait(self._settings.outbox_poll_seconds)

    def start_background(self) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop,), name="outbox", daemon=True)
        thread.start()
        return thread, stop
