"""The per-call context: the core environment of the application and the authenticated caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from recovery_soap.core.env import Env
from recovery_soap.core.model import Caller

CALLER_KEY = "recovery_soap.caller"
REQUEST_ID_KEY = "recovery_soap.request_id"
#: The client's address and whether the request came over HTTPS, as the front established them.
ADDRESS_KEY = "recovery_soap.client_address"
HTTPS_KEY = "recovery_soap.https"
#: The core's answer the front already computed for this request (soap/catalogue.py).
PRECOMPUTED_KEY = "recovery_soap.precomputed"


def call_env(ctx: Any) -> tuple[Env, Caller]:
    """(core environment, caller) of a spyne method context; the front authenticated the caller."""
    env: Env = ctx.app.recovery_env
    caller: Caller = ctx.transport.req_env[CALLER_KEY]
    return env, caller


def precomputed(ctx: Any, compute: Callable[[], Any]) -> Any:
    """The core's answer the front computed for this request, else ``compute()``."""
    done = ctx.transport.req_env.get(PRECOMPUTED_KEY)
    return compute() if done is None else done.value()
