"""The catalogue operations (getAllChallengeQuestions, getUserIdentitySupportedClaims) answered
without spyne's per-request machinery, and their serialised answers cached.

Both are read-only and are called far more often than anything else, and spyne spends most of
their time building the same response again. So, for a request in their plainest well-formed
shape (the one every client sends), the front parses the envelope with spyne's own parser
settings, validates the operation element against spyne's own schema, runs the same core call
and answers with the bytes spyne produced last time for the same core result. Anything else — a
DTD, a header entry, a comment, an attribute, a schema error, a charset other than UTF-8 — goes
to spyne unchanged, which answers it as before (faults included).

The cache key is the core's answer itself (the tenant's questions as read from the database on
this request, the claim definitions), so a question added by the CLI or another worker shows up
on the next call, and a database outage still fails the call. On a miss, spyne serialises the
precomputed core result (the core is not called twice) and its answer is kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from recovery_soap.core import challenges, claims
from recovery_soap.core.env import Env
from recovery_soap.core.model import Caller
from recovery_soap.soap.faults import SOAP11_ENV, SOAP12_ENV
from recovery_soap.soap.types import SERVICE_NS

QUESTIONS = "getAllChallengeQuestions"
CLAIMS = "getUserIdentitySupportedClaims"
_OPERATIONS = {f"{{{SERVICE_NS}}}{QUESTIONS}": QUESTIONS, f"{{{SERVICE_NS}}}{CLAIMS}": CLAIMS}
_NEEDLES = (QUESTIONS.encode(), CLAIMS.encode())
_DIALECT = f"{{{SERVICE_NS}}}dialect"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_UTF8 = ("utf-8", "utf8")
#: Distinct answers kept (per operation, SOAP version and content); cleared when full.
CACHE_SIZE = 64


@dataclass(frozen=True)
class CatalogueCall:
    """A well-formed catalogue request: the operation and its one optional argument."""

    operation: str
    dialect: str | None = None

    def run(self, env: Env, caller: Caller) -> Sequence[Hashable]:
        if self.operation == QUESTIONS:
            return challenges.all_questions(env, caller)
        return claims.supported_claims(self.dialect)


@dataclass(frozen=True)
class Answer:
    """What spyne answered: status line, headers (without the request id) and body."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Precomputed:
    """The core's answer (or failure) for the request, handed to the spyne method on a miss."""

    started: float
    result: Sequence[Hashable] | None = None
    error: BaseException | None = None

    def value(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


def _charset(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _plain(element: Any) -> bool:
    """No attributes, no text around the children: nothing a simpler reading could miss."""
    return not element.attrib and _blank(element.text) and all(_blank(c.tail) for c in element)


class CatalogueAnswers:
    """Recognises plain catalogue requests and keeps the serialised answers."""

    def __init__(self, protocols: dict[str, Any]) -> None:
        # The in-protocols of spyne's applications, by media type: their parser settings and
        # validation schema are the ones used here, so strictness is the same by construction.
        self._schemas = {media: p.validation_schema for media, p in protocols.items()}
        self._parser_kwargs = {media: p.parser_kwargs for media, p in protocols.items()}
        self._envelope_ns = {
            media: SOAP12_ENV if "soap+xml" in media else SOAP11_ENV for media in protocols
        }
        self._local = threading.local()  # an lxml parser is not shared by threads
        self._answers: dict[tuple[Hashable, ...], Answer] = {}
        self._lock = threading.Lock()

    def recognise(self, body: bytes, content_type: str, media_type: str) -> CatalogueCall | None:
        """The call, when ``body`` is a plain catalogue request; None sends it to spyne."""
        if not any(needle in body for needle in _NEEDLES):
            return None
        if _charset(content_type) not in (None, *_UTF8):
            return None
        parser, schema = self._parser(media_type), self._schemas[media_type]
        try:
            root = etree.fromstring(body, parser)
        except etree.XMLSyntaxError:
            return None
        info = root.getroottree().docinfo
        if info.doctype or info.internalDTD is not None or info.system_url:
            return None
        if any(not isinstance(node.tag, str) for node in root.iter()):
            return None  # comments, processing instructions, entity references
        if root.getprevious() is not None or root.getnext() is not None:
            return None
        call = self._envelope_call(root, self._envelope_ns[media_type])
        if call is None or not schema.validate(root[-1][0]):
            return None
        return call

    def _envelope_call(self, root: Any, ns: str) -> CatalogueCall | None:
        children = list(root)
        if root.tag != f"{{{ns}}}Envelope" or not _plain(root) or not children:
            return None
        if len(children) == 2:
            header = children[0]
            if header.tag != f"{{{ns}}}Header" or len(header) or not _plain(header):
                return None
        elif len(children) != 1:
            return None
        body = children[-1]
        if body.tag != f"{{{ns}}}Body" or len(body) != 1 or not _plain(body):
            return None
        operation = body[0]
        name = _OPERATIONS.get(operation.tag)
        if name is None or operation.attrib:
            return None
        if name == QUESTIONS:
            if len(operation) or not _blank(operation.text):
                return None
            operation.text = None  # whitespace only (pretty-printed), as protocol._check_body
            return CatalogueCall(QUESTIONS)
        return self._claims_call(operation)

    @staticmethod
    def _claims_call(operation: Any) -> CatalogueCall | None:
        if not _plain(operation) or len(operation) > 1:
            return None
        if len(operation) == 0:
            return CatalogueCall(CLAIMS)
        dialect = operation[0]
        if dialect.tag != _DIALECT or len(dialect):
            return None
        if dialect.attrib:
            if dict(dialect.attrib) != {_XSI_NIL: "true"} or not _blank(dialect.text):
                return None
            return CatalogueCall(CLAIMS)
        return CatalogueCall(CLAIMS, dialect.text or "")

    def _parser(self, media_type: str) -> Any:
        parsers = getattr(self._local, "parsers", None)
        if parsers is None:
            parsers = self._local.parsers = {}
        if media_type not in parsers:
            parsers[media_type] = etree.XMLParser(**self._parser_kwargs[media_type])
        return parsers[media_type]

    @staticmethod
    def key(media_type: str, call: CatalogueCall, result: Sequence[Hashable]) -> tuple[Any, ...]:
        return (media_type, call.operation, tuple(result))

    def answer(self, key: tuple[Any, ...]) -> Answer | None:
        return self._answers.get(key)

    def keep(self, key: tuple[Any, ...], answer: Answer) -> None:
        with self._lock:
            if len(self._answers) >= CACHE_SIZE:
                self._answers.clear()
            self._answers[key] = answer


def precompute(call: CatalogueCall, env: Env, caller: Caller) -> Precomputed:
    """Run the core call once; a failure is kept to be raised where spyne maps it to a fault."""
    started = time.perf_counter()
    try:
        return Precomputed(started, result=call.run(env, caller))
    except Exception as error:  # noqa: BLE001 - re-raised inside spyne's call wrapper
        return Precomputed(started, error=error)
