"""Delivering the outbox: claim due messages, send each, record the outcome; never lose one.

The log names the message id, kind and recipient, never the body (it holds the user's code).
"""

from __future__ import annotations

import logging
import smtplib
import threading
from datetime import timedelta

from recovery_soap import observe
from recovery_soap.config import Settings
from recovery_soap.core.ports import Clock
from recovery_soap.notify.smtp import Sender
from recovery_soap.store.outbox_queue import OutboxQueue

log = logging.getLogger("recovery_soap.outbox")
LEASE = timedelta(minutes=5)


class Dispatcher:
    def __init__(
        self, queue: OutboxQueue, sender: Sender, clock: Clock, settings: Settings
    ) -> None:
        self._queue = queue
        self._sender = sender
        self._clock = clock
        self._settings = settings

    def outbox_counts(self) -> dict[str, int]:
        return self._queue.counts()

    def deliver_due(self, limit: int = 20) -> tuple[int, int]:
        """Send what is due now; returns (sent, failed). Without SMTP, messages stay queued."""
        if not self._sender.configured:
            return 0, 0
        sent = failed = 0
        for message in self._queue.claim(self._clock.now(), LEASE, limit):
            try:
                self._sender.send(
                    message.recipient, message.subject, message.body, message.html, message.sender
                )
            except (OSError, smtplib.SMTPException) as exc:
                failed += 1
                observe.record_delivery("failed")
                status = self._queue.mark_failed(
                    message,
                    self._clock.now(),
                    f"{type(exc).__name__}: {exc}",
                    self._settings.outbox_max_attempts,
                )
                # The recipient stays out of the log (personal data): `outbox list` shows it.
                log.warning(
                    "outbox message %s (%s) not delivered: %s; now %s",
                    message.id,
                    message.kind,
                    type(exc).__name__,
                    status,
                )
                continue
            self._queue.mark_sent(message.id, self._clock.now())
            observe.record_delivery("sent")
            sent += 1
            log.info("outbox message %s (%s) delivered", message.id, message.kind)
        return sent, failed

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set; a failing pass is logged and retried next time."""
        while not stop.is_set():
            try:
                while sum(self.deliver_due()) > 0 and not stop.is_set():
                    pass
            except Exception:  # keep the loop alive through database outages
                log.exception("outbox delivery pass failed")
            stop.wait(self._settings.outbox_poll_seconds)

    def start_background(self) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop,), name="outbox", daemon=True)
        thread.start()
        return thread, stop
