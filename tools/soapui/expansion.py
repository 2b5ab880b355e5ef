"""Property expansion as SoapUI does it: ${#Scope#name}, recursively, and ${=...} for the few
Groovy expressions the project uses."""

from __future__ import annotations

import ast
import re
import time
import uuid
from collections.abc import Callable, Mapping, MutableMapping

from tools.soapui.model import SCOPES, ReplayError

Scopes = Mapping[str, MutableMapping[str, str]]

_SOURCES: dict[str, Callable[[], str]] = {
    "java.util.UUID.randomUUID().toString()": lambda: str(uuid.uuid4()),
    "UUID.randomUUID().toString()": lambda: str(uuid.uuid4()),
    "System.currentTimeMillis().toString()": lambda: str(time.time_ns() // 1_000_000),
}
_METHODS: dict[str, Callable[..., str]] = {
    "replace": lambda value, old, new: value.replace(old, new),
    "substring": lambda value, start, end=None: value[start:end],
    "take": lambda value, count: value[:count],
    "toUpperCase": lambda value: value.upper(),
    "toLowerCase": lambda value: value.lower(),
}
_CALL = re.compile(r"\.(\w+)\(([^()]*)\)")


def groovy(expression: str) -> str:
    """The few Groovy expressions the project uses: a random UUID or the clock, as a string,
    then String methods (replace, substring, take, toUpperCase, toLowerCase)."""
    text = expression.strip()
    for source, make in _SOURCES.items():
        if text.startswith(source):
            value, rest = make(), text[len(source) :]
            break
    else:
        raise ReplayError(f"unsupported Groovy expression ${{={expression}}}")
    while rest:
        call = _CALL.match(rest)
        method = _METHODS.get(call.group(1)) if call else None
        if call is None or method is None:
            raise ReplayError(f"unsupported Groovy expression ${{={expression}}} at {rest!r}")
        try:
            args = ast.literal_eval(f"({call.group(2)},)") if call.group(2).strip() else ()
            value = method(value, *args)
        except (ValueError, SyntaxError, TypeError) as exc:
            raise ReplayError(f"cannot evaluate ${{={expression}}}: {exc}") from exc
        rest = rest[call.end() :]
    return value


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return -1


def expand(text: str, scopes: Scopes, depth: int = 0) -> str:
    """Expand ${...} as SoapUI does; a property's value is expanded in turn."""
    if depth > 10:
        raise ReplayError("property expansion nested too deeply (a property refers to itself?)")
    out, index = [], 0
    while (start := text.find("${", index)) >= 0:
        end = _closing_brace(text, start + 2)
        if end < 0:
            raise ReplayError(f"unclosed property expansion {text[start : start + 40]!r}")
        out.append(text[index:start])
        out.append(_resolve(text[start + 2 : end], scopes, depth))
        index = end + 1
    out.append(text[index:])
    return "".join(out)


def _resolve(inner: str, scopes: Scopes, depth: int) -> str:
    if inner.startswith("="):
        return groovy(inner[1:])
    inner = expand(inner, scopes, depth + 1)
    scope, _, name = inner[1:].partition("#")
    if not inner.startswith("#") or scope not in SCOPES:
        raise ReplayError(f"unsupported property expansion ${{{inner}}}")
    properties = scopes[scope]
    if name not in properties:
        raise ReplayError(f"unknown property ${{{inner}}}")
    return expand(properties[name], scopes, depth + 1)
