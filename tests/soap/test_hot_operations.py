"""One table of hot operations (soap/hot_operations.py) for both ways of running them: the spyne
service and the short path must know the same operations and run the same core call."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from recovery_soap.soap import plain_requests
from recovery_soap.soap.hot_operations import CLAIMS, HOT_OPERATIONS, QUESTIONS, VERIFY_USER
from recovery_soap.soap.service import UserInformationRecoveryService
from tests.conftest import LiveServer, unique
from tests.support import envelope, post_envelope

PLAIN_REQUESTS = {
    QUESTIONS: envelope(QUESTIONS),
    CLAIMS: envelope(CLAIMS, "<ser:dialect>http://wso2.org/claims</ser:dialect>"),
    VERIFY_USER: envelope(VERIFY_USER, f"<ser:username>{unique('nobody')}</ser:username>"),
}


def test_the_short_path_reads_exactly_the_operations_of_the_table() -> None:
    assert set(plain_requests.READERS) == set(HOT_OPERATIONS) == set(PLAIN_REQUESTS)


def test_every_hot_operation_is_an_operation_of_the_spyne_service() -> None:
    assert set(HOT_OPERATIONS) <= set(UserInformationRecoveryService.public_methods)


@pytest.mark.parametrize("name", sorted(HOT_OPERATIONS))
def test_both_paths_run_the_core_call_of_the_table(
    external: LiveServer, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Replacing the table's core call reaches the short path and the spyne method alike."""
    entry = HOT_OPERATIONS[name]
    calls: list[str] = []

    def spy(*arguments: Any) -> Any:
        calls.append(name)
        return entry.run(*arguments)

    monkeypatch.setitem(HOT_OPERATIONS, name, dataclasses.replace(entry, run=spy))
    body = PLAIN_REQUESTS[name]
    assert external.app.soap._short.recognise(body.encode(), "text/xml", "text/xml") is not None
    short = post_envelope(external.url, body, auth=external.auth)
    assert calls == [name]
    monkeypatch.setattr(external.app.soap._short, "recognise", lambda *args: None)
    full = post_envelope(external.url, body, auth=external.auth)
    assert calls == [name, name]
    assert short.status_code == full.status_code == 200
