"""The project's definition cache: the WSDL copies SoapUI keeps inside the project file."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from tools.soapui.model import DEFAULT_PROJECT, DEFAULT_WSDL, NS, PARSER, ReplayError

_CACHE = re.compile(
    r"(<con:definitionCache\b.*?<con:content><!\[CDATA\[)(.*?)(\]\]></con:content>)", re.S
)


def cached_definitions(document: bytes | str) -> list[str]:
    """The WSDL texts in the project's definition caches."""
    data = document.encode("utf-8") if isinstance(document, str) else document
    root = etree.fromstring(data, PARSER)
    return [c.text or "" for c in root.iterfind(".//con:definitionCache/con:part/con:content", NS)]


def sync_definition(project_path: Path = DEFAULT_PROJECT, wsdl_path: Path = DEFAULT_WSDL) -> bool:
    """Copy the checked-in WSDL into every definition cache of the project; True if changed."""
    text = project_path.read_text(encoding="utf-8")
    wsdl = wsdl_path.read_text(encoding="utf-8")
    if "]]>" in wsdl:
        raise ReplayError("the WSDL contains ']]>' and cannot go into a CDATA section")
    if not _CACHE.search(text):
        raise ReplayError(f"{project_path} has no definition cache")
    updated = _CACHE.sub(lambda m: m.group(1) + wsdl + m.group(3), text)
    if updated == text:
        return False
    project_path.write_text(updated, encoding="utf-8")
    return True
