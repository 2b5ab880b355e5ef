"""A dispatcher killed with SIGKILL mid-batch: the mail it had claimed is sent by the next one
within the lease (not five minutes later), nothing is lost, and only a message in flight at
the kill can arrive twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from recovery_soap.core import admin
from recovery_soap.core.model import SUPER_TENANT, MessageKind, OutgoingMessage
from tests.conftest import LiveServer, unique
from tests.reliability.services import SlowSmtpServer

MESSAGES = 24
KILLS = 2
LEASE_SECONDS = 2.0
POLL_SECONDS = 0.2
SMTP_DELAY = 0.15  # each message takes this long to be accepted: kills land mid-batch


def enqueue(live: LiveServer, batch: str) -> list[str]:
    """Queue ``MESSAGES`` messages, each with a subject of its own."""
    subjects = [f"{batch} message {n}" for n in range(MESSAGES)]
    with live.app.env.uow() as uow:
        tenant_id = admin.tenant(uow, SUPER_TENANT).id
        for subject in subjects:
            uow.outbox.enqueue(
                OutgoingMessage(
                    tenant_id=tenant_id,
                    kind=MessageKind.PASSWORD_CHANGED,
                    recipient=f"{batch}@example.test",
                    subject=subject,
                    body=f"{subject}\n",
                ),
                live.clock.now(),
            )
        uow.commit()
    return subjects


def start_dispatcher(live: LiveServer, smtp_port: int, log: Path) -> subprocess.Popen[bytes]:
    s = live.app.settings
    env = {
        **os.environ,
        "RECOVERY_DATABASE_URL": s.database_url,
        "RECOVERY_SECRET_KEY": s.secret_key,
        "RECOVERY_SMTP_HOST": "127.0.0.1",
        "RECOVERY_SMTP_PORT": str(smtp_port),
        "RECOVERY_SMTP_TIMEOUT_SECONDS": "1",
        "RECOVERY_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "RECOVERY_OUTBOX_POLL_SECONDS": str(POLL_SECONDS),
    }
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "recovery_soap.cli", "outbox", "run"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def pending(live: LiveServer, batch: str) -> list[int]:
    queue = live.app.dispatcher._queue
    return [
        m.id
        for m in queue.listing(limit=10_000)
        if m.recipient == f"{batch}@example.test" and m.status != "sent"
    ]


def wait_for(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_killed_dispatchers_mail_is_sent_by_the_next_within_the_lease(
    serve, tmp_path: Path
) -> None:
    live = serve(secret_key="crash-test-secret-key-0123456789abcdef")
    smtp = SlowSmtpServer(delay=SMTP_DELAY)
    smtp.start()
    batch = unique("crash")
    subjects = enqueue(live, batch)

    def received() -> Counter[str]:
        return Counter(s for s in smtp.subjects() if s.startswith(batch))

    # Within the lease (plus start-up and sending time) a new dispatcher takes over.
    budget = LEASE_SECONDS + 5 + MESSAGES * SMTP_DELAY
    dispatcher = start_dispatcher(live, smtp.port, tmp_path / "dispatcher.log")
    stranded_after: list[float] = []
    try:
        for kill in range(1, KILLS + 1):
            # Kill while the batch is being sent: some of it delivered, the rest claimed.
            target = kill * MESSAGES // (KILLS + 2)
            assert wait_for(lambda t=target: len(received()) >= t, budget), (
                f"only {len(received())} of {MESSAGES} arrived; {target} expected"
            )
            dispatcher.send_signal(signal.SIGKILL)
            dispatcher.wait(timeout=10)
            killed_at = time.monotonic()
            dispatcher = start_dispatcher(live, smtp.port, tmp_path / "dispatcher.log")
            if kill == KILLS:
                assert wait_for(lambda: set(received()) == set(subjects), budget), (
                    f"only {len(received())} of {MESSAGES} arrived within {budget:.0f} s"
                )
                stranded_after.append(time.monotonic() - killed_at)
                assert wait_for(lambda: not pending(live, batch), budget), "left pending"
    finally:
        dispatcher.send_signal(signal.SIGKILL)
        dispatcher.wait(timeout=10)
        smtp.stop()

    counts = received()
    duplicated = sum(counts.values()) - len(counts)
    assert set(counts) == set(subjects)
    assert duplicated <= KILLS, f"{duplicated} duplicates for {KILLS} kills"
    print(
        f"\ndispatcher kills: {KILLS}; enqueued {MESSAGES}, delivered {len(counts)}, "
        f"duplicated {duplicated}; all delivered {stranded_after[-1]:.1f} s after the last kill "
        f"(lease {LEASE_SECONDS} s)"
    )
