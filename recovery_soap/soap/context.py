"""The per-call context: the core environment of the application and the authenticated caller."""

from __future__ import annotations

from typing import Any

from recovery_soap.core.env import Env
from recovery_soap.core.model import Caller

CALLER_KEY = "recovery_soap.caller"
REQUEST_ID_KEY = "recovery_soap.request_id"


def call_env(ctx: Any) -> tuple[Env, Caller]:
    """(core environment, caller) of a spyne method context; the front authenticated the caller."""
    env: Env = ctx.app.recovery_env
    caller: Caller = ctx.transport.req_env[CALLER_KEY]
    return env, caller
