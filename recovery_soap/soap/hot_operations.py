"""The hot operations in one table, read by both ways of running them: the spyne service
(soap/service.py) and the short path that bypasses spyne (soap/short_path.py).

An entry names the core call, the encoder to legacy beans and how the short path may reuse an
earlier spyne answer; a change here reaches both paths. The short path runs the core call once
and hands the result (or failure) to the spyne method with the request when spyne has to answer:
how it travels is known to this module only (``attach``, ``started_at``, ``call``).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from recovery_soap.core import challenges, claims, password_recovery
from recovery_soap.core.model import Caller, CaptchaInput, ClaimDefinition, Question, Verification
from recovery_soap.core.services import Services
from recovery_soap.soap import convert
from recovery_soap.soap.context import call_env

QUESTIONS = "getAllChallengeQuestions"
CLAIMS = "getUserIdentitySupportedClaims"
VERIFY_USER = "verifyUser"


class Reuse(enum.Enum):
    """How the short path reuses spyne's earlier answer of the operation."""

    #: The whole answer, for the same core result (catalogue reads).
    CATALOGUE = "catalogue"
    #: A success answer with its key and user id put in (verifyUser).
    TEMPLATE = "template"


@dataclass(frozen=True)
class HotOperation:
    """One hot operation: ``run(env, caller, *core arguments)`` then ``encode(result)``."""

    name: str
    run: Callable[..., Any]
    encode: Callable[[Any], Any]
    reuse: Reuse


# The core functions are looked up on every call (not bound here): one name, one rule.
def _all_questions(env: Services, caller: Caller) -> list[Question]:
    return challenges.all_questions(env, caller)


def _supported_claims(env: Services, caller: Caller, dialect: str | None) -> list[ClaimDefinition]:
    return claims.supported_claims(dialect)


def _verify_user(
    env: Services, caller: Caller, username: str | None, captcha: CaptchaInput | None
) -> Verification:
    return password_recovery.verify_user(env, caller, username, captcha)


HOT_OPERATIONS: dict[str, HotOperation] = {
    op.name: op
    for op in (
        HotOperation(QUESTIONS, _all_questions, convert.question_beans, Reuse.CATALOGUE),
        HotOperation(CLAIMS, _supported_claims, convert.claim_beans, Reuse.CATALOGUE),
        HotOperation(VERIFY_USER, _verify_user, convert.verification_bean, Reuse.TEMPLATE),
    )
}

_PRECOMPUTED_KEY = "recovery_soap.precomputed"


@dataclass(frozen=True)
class Precomputed:
    """The core's result (or failure) for the request, handed to the spyne method."""

    started: float
    result: Any = None
    error: BaseException | None = None

    def value(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


def precompute(name: str, env: Services, caller: Caller, arguments: tuple[Any, ...]) -> Precomputed:
    """Run the operation's core call once; a failure is kept to be raised where spyne maps it."""
    started = time.perf_counter()
    try:
        return Precomputed(started, result=HOT_OPERATIONS[name].run(env, caller, *arguments))
    except Exception as error:  # noqa: BLE001 - re-raised inside spyne's call wrapper
        return Precomputed(started, error=error)


def attach(environ: MutableMapping[str, Any], done: Precomputed) -> None:
    """Hand ``done`` to the spyne method that answers this request."""
    environ[_PRECOMPUTED_KEY] = done


def started_at(environ: MutableMapping[str, Any]) -> float | None:
    """When the core call attached to the request started (the call's true start), if any."""
    done: Precomputed | None = environ.get(_PRECOMPUTED_KEY)
    return None if done is None else done.started


def call(ctx: Any, name: str, *arguments: Any) -> Any:
    """The spyne method of a hot operation: the attached result, else the core call; encoded."""
    env, caller = call_env(ctx)
    operation = HOT_OPERATIONS[name]
    done: Precomputed | None = ctx.transport.req_env.get(_PRECOMPUTED_KEY)
    result = operation.run(env, caller, *arguments) if done is None else done.value()
    return operation.encode(result)
