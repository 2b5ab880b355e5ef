"""An outage is logged once when it starts, at most once per interval while it lasts (with a
count), once when it ends; never with a traceback."""

from __future__ import annotations

import logging

import pytest

from recovery_soap.outages import OutageLog


def test_a_long_outage_under_load_logs_a_bounded_number_of_records(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="test.outage")
    now = [0.0]
    outage = OutageLog(
        logging.getLogger("test.outage"), "Redis", "limits are not enforced", 60, lambda: now[0]
    )
    for tick in range(10 * 60 * 14):  # ten minutes at 14 failing requests a second
        now[0] = tick / 14
        outage.failed(ConnectionError("refused"))
    now[0] = 600.0
    outage.succeeded()
    outage.succeeded()
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "Redis unavailable (ConnectionError); limits are not enforced"
    assert len(messages) == 1 + 9 + 1  # start, once a minute, end
    assert all(m.startswith("Redis still unavailable after") for m in messages[1:-1])
    assert messages[1].endswith(": 840 failed uses since the last report")
    assert messages[-1].startswith("Redis available again after 600 s (8400 failed uses)")
    assert not [r for r in caplog.records if r.exc_info]
