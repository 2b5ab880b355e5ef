"""XPath with SoapUI's namespace declarations, a step's exchange, and the assertions on it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from tools.soapui.expansion import Scopes, expand
from tools.soapui.model import PARSER, SOAP_ENV, Assertion, ReplayError

_DECLARE = re.compile(r"\s*declare\s+namespace\s+([\w.-]+)\s*=\s*(['\"])(.*?)\2\s*;")


def split_xpath(text: str) -> tuple[dict[str, str], str]:
    """SoapUI's `declare namespace p='uri';` lines, then the expression."""
    namespaces, position = {}, 0
    while declaration := _DECLARE.match(text, position):
        namespaces[declaration.group(1)] = declaration.group(3)
        position = declaration.end()
    return namespaces, text[position:].strip()


def parse_xml(content: str | bytes, what: str) -> etree._Element:
    try:
        data = content.encode("utf-8") if isinstance(content, str) else content
        return etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as exc:
        raise ReplayError(f"{what} is not XML: {exc}") from exc


def select(document: etree._Element, path: str) -> Any:
    namespaces, expression = split_xpath(path)
    if not expression:
        raise ReplayError("empty XPath")
    try:
        return document.xpath(expression, namespaces=namespaces)
    except etree.XPathError as exc:
        raise ReplayError(f"bad XPath [{expression}]: {exc}") from exc


def values_of(result: Any) -> list[str]:
    """An XPath result as the strings SoapUI compares: booleans as true/false, whole numbers
    without a fraction, an element as its own text."""
    if isinstance(result, bool):
        return ["true" if result else "false"]
    if isinstance(result, float):
        return [str(int(result)) if result.is_integer() else str(result)]
    if isinstance(result, str):
        return [str(result)]
    values = []
    for item in result:
        if isinstance(item, etree._Element):
            values.append("".join(item.xpath("text()")))
        else:
            values.append(str(item))
    return values


@dataclass
class Exchange:
    request: str
    status: int
    content: bytes
    soap_version: str
    _document: etree._Element | None = None

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def document(self) -> etree._Element:
        if self._document is None:
            self._document = parse_xml(self.content, "the response")
        return self._document


def _soap(kind: str, exchange: Exchange) -> str:
    envelope = exchange.document()
    env = SOAP_ENV.get(exchange.soap_version, SOAP_ENV["1_1"])
    body = envelope.find(f"{{{env}}}Body")
    if envelope.tag != f"{{{env}}}Envelope" or body is None:
        raise ReplayError(f"not a SOAP {exchange.soap_version} envelope: {envelope.tag}")
    fault = body.find(f"{{{env}}}Fault") is not None
    if kind == "SOAP Fault Assertion" and fault:  # SoapUI's id of "Not SOAP Fault"
        raise ReplayError("Response is a SOAP Fault")
    if kind == "Not SOAP Fault Assertion" and not fault:  # SoapUI's id of "SOAP Fault"
        raise ReplayError("Response is not a SOAP Fault")
    return ""


def _status(kind: str, config: dict[str, str], exchange: Exchange, scopes: Scopes) -> str:
    codes = {c.strip() for c in expand(config.get("codes", ""), scopes).split(",")} - {""}
    if not codes:
        raise ReplayError("no status codes configured")
    listed = str(exchange.status) in codes
    if listed != (kind == "Valid HTTP Status Codes"):
        raise ReplayError(f"HTTP {exchange.status}, codes {','.join(sorted(codes))}")
    return ""


def _contains(kind: str, config: dict[str, str], exchange: Exchange, scopes: Scopes) -> str:
    token = expand(config.get("token", ""), scopes).replace("\r\n", "\n")
    if not token:
        raise ReplayError("empty token: it would prove nothing")
    content = exchange.text.replace("\r\n", "\n")
    if config.get("useRegEx") == "true":
        found = re.search(token, content, re.S) is not None
    elif config.get("ignoreCase") == "true":
        found = token.upper() in content.upper()
    else:
        found = token in content
    if found != (kind == "Simple Contains"):
        raise ReplayError(f"{'Missing' if found is False else 'Unexpected'} token [{token}]")
    return ""


def check(assertion: Assertion, exchange: Exchange, scopes: Scopes) -> str:
    """Evaluate one assertion; returns a note, raises ReplayError when it does not hold."""
    kind, config = assertion.type, assertion.config
    if kind in ("SOAP Response", "SOAP Fault Assertion", "Not SOAP Fault Assertion"):
        return _soap(kind, exchange)
    if kind in ("Valid HTTP Status Codes", "Invalid HTTP Status Codes"):
        return _status(kind, config, exchange, scopes)
    if kind == "XPath Match":
        return _xpath_match(config, exchange, scopes)
    if kind in ("Simple Contains", "Simple NotContains"):
        return _contains(kind, config, exchange, scopes)
    raise ReplayError(f"unsupported assertion type {kind!r}")


def _xpath_match(config: dict[str, str], exchange: Exchange, scopes: Scopes) -> str:
    path = expand(config.get("path", ""), scopes)
    expected = expand(config.get("content", ""), scopes)
    shown = split_xpath(path)[1]
    values = values_of(select(exchange.document(), path))
    if not values:
        raise ReplayError(f"Missing content for xpath [{shown}]")
    if config.get("allowWildcards") == "true":
        pattern = ".*".join(re.escape(part) for part in expected.split("*"))
        matched = any(re.fullmatch(pattern, v, re.S) for v in values)
    else:
        matched = expected in values
    if not matched:
        raise ReplayError(
            f"XPathContains comparison failed for path [{shown}], expecting [{expected}], "
            f"actual was [{values[0]}]"
        )
    return ""
