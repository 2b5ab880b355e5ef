"""Recognising the plainest well-formed requests of the hot operations (soap/hot_operations.py),
for the short path (soap/short_path.py): getAllChallengeQuestions, getUserIdentitySupportedClaims,
and verifyUser without a captcha; one reader per operation of the table.

The envelope is parsed with spyne's own parser settings, put through the same pre-check as
spyne's (soap/envelope.py), and the operation element validated against spyne's own schema, so
nothing accepted here is something spyne would refuse. Anything beyond the plainest shape — a
DTD, a header entry, an attribute, text between elements, a charset other than UTF-8, a captcha,
an empty or nil username — is not recognised and goes to spyne unchanged, which answers it as
before, faults included.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from recovery_soap.soap import envelope
from recovery_soap.soap.content_type import AmbiguousContentType, parse_content_type
from recovery_soap.soap.faults import SOAP11_ENV, SOAP12_ENV
from recovery_soap.soap.hot_operations import CLAIMS, QUESTIONS, VERIFY_USER
from recovery_soap.soap.types import SERVICE_NS

_DIALECT = f"{{{SERVICE_NS}}}dialect"
_USERNAME = f"{{{SERVICE_NS}}}username"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_UTF8 = ("utf-8", "utf8")


@dataclass(frozen=True)
class PlainCall:
    """A recognised request: the operation and the arguments of its core call."""

    operation: str
    arguments: tuple[Any, ...] = ()


def _charset(content_type: str) -> str | None:
    """The charset as the front and spyne read it (soap/content_type.py); an ambiguous header
    is refused before it gets here."""
    try:
        return parse_content_type(content_type).charset
    except AmbiguousContentType:
        return "ambiguous"  # not UTF-8: left to spyne


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _plain(element: Any) -> bool:
    """No attributes, no text around the children: nothing a simpler reading could miss."""
    return not element.attrib and _blank(element.text) and all(_blank(c.tail) for c in element)


def _questions_call(operation: Any) -> PlainCall | None:
    return None if len(operation) else PlainCall(QUESTIONS)


def _claims_call(operation: Any) -> PlainCall | None:
    if len(operation) == 0:
        return PlainCall(CLAIMS, (None,))
    dialect = operation[0]
    if len(operation) > 1 or dialect.tag != _DIALECT or len(dialect):
        return None
    if dialect.attrib:
        if dict(dialect.attrib) != {_XSI_NIL: "true"} or not _blank(dialect.text):
            return None
        return PlainCall(CLAIMS, (None,))
    return PlainCall(CLAIMS, (dialect.text or "",))


def _verify_user_call(operation: Any) -> PlainCall | None:
    if len(operation) != 1:
        return None  # no username, or a captcha too
    username = operation[0]
    if username.tag != _USERNAME or len(username) or username.attrib or not username.text:
        return None
    return PlainCall(VERIFY_USER, (username.text, None))  # no captcha


#: The reader of each hot operation's plain request (one per entry of HOT_OPERATIONS).
READERS: dict[str, Callable[[Any], PlainCall | None]] = {
    QUESTIONS: _questions_call,
    CLAIMS: _claims_call,
    VERIFY_USER: _verify_user_call,
}
_OPERATIONS = {f"{{{SERVICE_NS}}}{name}": name for name in READERS}
_NEEDLES = tuple(name.encode() for name in READERS)


class PlainRequests:
    """Recognises plain requests of the short-path operations."""

    def __init__(self, protocols: dict[str, Any]) -> None:
        # The in-protocols of spyne's applications, by media type: their parser settings and
        # validation schema are the ones used here, so strictness is the same by construction.
        self._schemas = {media: p.validation_schema for media, p in protocols.items()}
        self._parser_kwargs = {media: p.parser_kwargs for media, p in protocols.items()}
        self._envelope_ns = {
            media: SOAP12_ENV if "soap+xml" in media else SOAP11_ENV for media in protocols
        }
        self._local = threading.local()  # an lxml parser is not shared by threads

    def recognise(self, body: bytes, content_type: str, media_type: str) -> PlainCall | None:
        """The call, when ``body`` is a plain request of a short-path operation, else None."""
        if not any(needle in body for needle in _NEEDLES):
            return None
        charset = _charset(content_type)
        if charset not in (None, *_UTF8):
            return None
        if charset is not None:
            try:  # spyne decodes the body by the header's charset first, and refuses on error
                body.decode(charset)
            except UnicodeDecodeError:
                return None
        try:
            root = etree.fromstring(body, self._parser(media_type))
        except etree.XMLSyntaxError:
            return None
        if envelope.refusal(root) is not None:
            return None  # refused by spyne (soap/envelope.py)
        if any(not isinstance(node.tag, str) for node in root.iter()):
            return None  # comments, processing instructions, entity references
        if root.getprevious() is not None or root.getnext() is not None:
            return None
        call = self._envelope_call(root, self._envelope_ns[media_type])
        if call is None or not self._schemas[media_type].validate(root[-1][0]):
            return None
        return call

    def _envelope_call(self, root: Any, ns: str) -> PlainCall | None:
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
        if name is None or not _plain(operation):
            return None
        envelope.settle_blank_operation(operation)  # whitespace only (pretty-printed)
        return READERS[name](operation)

    def _parser(self, media_type: str) -> Any:
        parsers = getattr(self._local, "parsers", None)
        if parsers is None:
            parsers = self._local.parsers = {}
        if media_type not in parsers:
            parsers[media_type] = etree.XMLParser(**self._parser_kwargs[media_type])
        return parsers[media_type]
