"""The per-call context: the core environment of the application, the authenticated caller, and
the one record of a finished call (whichever path answered it)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from recovery_soap import observe
from recovery_soap.core.model import Caller
from recovery_soap.core.services import Services

CALLER_KEY = "recovery_soap.caller"
REQUEST_ID_KEY = "recovery_soap.request_id"
#: The client's address and whether the request came over HTTPS, as the front established them.
ADDRESS_KEY = "recovery_soap.client_address"
HTTPS_KEY = "recovery_soap.https"


def call_env(ctx: Any) -> tuple[Services, Caller]:
    """(core environment, caller) of a spyne method context; the front authenticated the caller."""
    env: Services = ctx.app.recovery_env
    caller: Caller = ctx.transport.req_env[CALLER_KEY]
    return env, caller


def record_call(
    environ: Mapping[str, Any], operation: str, outcome: str, code: str | None, started: float
) -> None:
    """Log and count one call of ``operation`` on the request ``environ``, started at ``started``
    (``time.perf_counter``)."""
    caller: Caller | None = environ.get(CALLER_KEY)
    observe.record_call(
        operation=operation,
        outcome=outcome,
        code=code,
        seconds=time.perf_counter() - started,
        request_id=environ.get(REQUEST_ID_KEY, "-"),
        tenant=caller.tenant.domain if caller else None,
        caller=caller.account if caller else None,
    )
