"""The short path of the hot operations: the core call without spyne's per-request work, and
spyne's own answer bytes reused.

For a request soap/plain_requests.py recognises, the front runs the core call of the operation's
entry in soap/hot_operations.py (the one the spyne method runs), once. Then, by the entry's reuse:

- catalogue (getAllChallengeQuestions, getUserIdentitySupportedClaims): the answer is spyne's
  earlier answer for the *same core result* (the tenant's questions as read from the database on
  this request; the claim definitions), so a question added by the CLI or another worker is in
  the next answer, and a database outage still fails the call.
- template (verifyUser): a success answer differs from the last one only in the key and the user
  id: it is spyne's earlier answer with those two values put in (values that XML would escape
  are not put in: those answers are serialised by spyne).

Anything else (the first answer of a kind, a failure, an unusual value) is answered by spyne as
before, given the core's result or error (the core is never called twice; a failure becomes
the usual error bean or fault in spyne's call wrapper). A short answer is recorded and measured
like any call.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from recovery_soap.core.model import Caller, Verification
from recovery_soap.core.services import Services
from recovery_soap.soap.context import record_call
from recovery_soap.soap.hot_operations import (
    HOT_OPERATIONS,
    Precomputed,
    Reuse,
    attach,
    precompute,
)
from recovery_soap.soap.plain_requests import PlainCall, PlainRequests

StartResponse = Callable[..., Any]
#: Distinct catalogue answers kept (per operation, SOAP version and content); cleared when full.
CACHE_SIZE = 64


@dataclass(frozen=True)
class Answer:
    """What spyne answered: status line, headers (without the request id) and body."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes


def _insertable(text: str | None) -> bool:
    """Text that lxml writes as it is (nothing escaped, nothing refused)."""
    if not text:
        return False
    return text.isprintable() and not any(c in text for c in "&<>")


def _plain_success(result: Any) -> bool:
    return (
        isinstance(result, Verification)
        and result.verified
        and result.notification is None
        and _insertable(result.key)
        and _insertable(result.user_id)
    )


@dataclass(frozen=True)
class VerificationTemplate:
    """A verifyUser success answer of spyne's with its key and user id cut out."""

    status: str
    headers: list[tuple[str, str]]
    parts: tuple[bytes, bytes, bytes]

    @classmethod
    def learn(cls, answer: Answer, key: str, user_id: str) -> VerificationTemplate | None:
        body = answer.body
        spans = []
        for field, value in (("key", key), ("userId", user_id)):
            found = [
                m
                for m in re.finditer(rb"<([\w.-]+):" + field.encode() + rb">", body)
                if body.startswith(value.encode() + b"</" + m.group(1) + b":", m.end())
            ]
            if len(found) != 1:
                return None
            spans.append((found[0].end(), found[0].end() + len(value.encode())))
        (key_start, key_end), (user_start, user_end) = spans
        if key_end > user_start:
            return None
        parts = (body[:key_start], body[key_end:user_start], body[user_end:])
        template = cls(answer.status, answer.headers, parts)
        return template if template.fill(key, user_id) == answer else None

    def fill(self, key: str, user_id: str) -> Answer:
        first, middle, last = self.parts
        body = first + key.encode() + middle + user_id.encode() + last
        length = str(len(body))
        headers = [(n, length if n.lower() == "content-length" else v) for n, v in self.headers]
        return Answer(self.status, headers, body)


class ShortPath:
    """Answers recognised requests; keeps what spyne answered to reuse it."""

    def __init__(self, env: Services, spyne_apps: dict[str, Any]) -> None:
        self._env = env
        self._spyne = spyne_apps
        self._requests = PlainRequests({m: app.app.in_protocol for m, app in spyne_apps.items()})
        self._catalogue: dict[tuple[Hashable, ...], Answer] = {}
        self._templates: dict[str, VerificationTemplate] = {}
        self._lock = threading.Lock()

    def recognise(self, body: bytes, content_type: str, media_type: str) -> PlainCall | None:
        return self._requests.recognise(body, content_type, media_type)

    def answer(
        self,
        call: PlainCall,
        caller: Caller,
        media_type: str,
        inner: dict[str, Any],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        """Answer ``call`` (``inner`` is the environ spyne gets; start_response adds the id)."""
        done = precompute(call.operation, self._env, caller, call.arguments)
        ready = self._ready(call, media_type, done)
        if ready is not None:
            record_call(inner, call.operation, "ok", None, done.started)
            start_response(ready.status, ready.headers)
            return [ready.body]
        attach(inner, done)
        if done.error is not None:
            failed: Iterable[bytes] = self._spyne[media_type](inner, start_response)
            return failed
        seen: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.append((status, list(headers)))
            return start_response(status, headers, exc_info)

        body = b"".join(self._spyne[media_type](inner, capture))
        if seen and seen[0][0].startswith("200"):
            self._keep(call, media_type, done.result, Answer(seen[0][0], seen[0][1], body))
        return [body]

    def _ready(self, call: PlainCall, media_type: str, done: Precomputed) -> Answer | None:
        if done.error is not None:
            return None
        if HOT_OPERATIONS[call.operation].reuse is Reuse.CATALOGUE:
            return self._catalogue.get((media_type, call.operation, tuple(done.result)))
        template = self._templates.get(media_type)
        if template is None or not _plain_success(done.result):
            return None
        return template.fill(done.result.key, done.result.user_id)

    def _keep(self, call: PlainCall, media_type: str, result: Any, answer: Answer) -> None:
        with self._lock:
            if HOT_OPERATIONS[call.operation].reuse is Reuse.CATALOGUE:
                if len(self._catalogue) >= CACHE_SIZE:
                    self._catalogue.clear()
                self._catalogue[(media_type, call.operation, tuple(result))] = answer
            elif _plain_success(result):
                template = VerificationTemplate.learn(answer, result.key, result.user_id)
                if template is not None:
                    self._templates[media_type] = template
