"""Plain-text templates per message kind, with the legacy placeholders ({first-name}, {user-name},
{confirmation-code}, {tenant-domain}, {userstore-domain}). The first line is ``Subject: ...``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources

from recovery_soap.core.model import MessageKind

PLACEHOLDER = re.compile(r"\{([a-z-]+)\}")


@cache
def _template(kind: MessageKind) -> tuple[str, str]:
    text = resources.files("recovery_soap.notify").joinpath(f"templates/{kind.value}.txt")
    first, _, body = text.read_text(encoding="utf-8").partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"template {kind.value} must start with a Subject: line")
    return first.removeprefix("Subject:").strip(), body


def render(kind: MessageKind, variables: Mapping[str, str]) -> tuple[str, str]:
    """(subject, body) with placeholders filled; unknown placeholders stay as they are."""
    subject, body = _template(kind)

    def fill(match: re.Match[str]) -> str:
        return variables.get(match.group(1), match.group(0))

    return PLACEHOLDER.sub(fill, subject), PLACEHOLDER.sub(fill, body)
