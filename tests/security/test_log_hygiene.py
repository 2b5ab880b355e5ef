"""The whole run's log is scanned for secrets at the end (tests/conftest.py); these tests show
that the scan sees the service's records and would flag a leak."""

from __future__ import annotations

import logging

from tests import conftest
from tests.conftest import LiveServer, leaked_secrets, unique
from tests.soap.flows import claims_for


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("recovery_soap.x", logging.INFO, __file__, 1, message, None, None)


def test_scan_flags_a_code_and_a_known_password() -> None:
    assert leaked_secrets([_record("code 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 sent")])
    assert leaked_secrets([_record("password Initial#Pass123")])
    assert not leaked_secrets([_record("outbox message 7 delivered to a@example.test")])


def _register_and_deliver(live: LiveServer) -> tuple[str, list[logging.LogRecord]]:
    """Register a new user, deliver its mail, and return the server-side records it made."""
    name = unique()
    live.client().registerUser(
        userName=name,
        password="Initial#Pass123",
        claims=claims_for(name),
        profileName="default",
        tenantDomain="",
    )
    seen = len(conftest._records)
    live.deliver_mail()
    return name, [r for r in conftest._records[seen:] if r.name.startswith("recovery_soap")]


def test_scan_sees_the_services_records(live: LiveServer) -> None:
    _name, records = _register_and_deliver(live)
    assert any("(accountConfirmation) delivered" in r.getMessage() for r in records)


def test_delivery_records_name_no_recipient(live: LiveServer) -> None:
    """Addresses are personal data: the outbox table keeps them, the log does not."""
    name, records = _register_and_deliver(live)
    assert live.smtp.mailbox.for_address(f"{name}@example.test")
    assert not any(f"{name}@" in r.getMessage() for r in records)
