"""The ceiling: a bare lxml WSGI handler that parses the getAllChallengeQuestions envelope and
serialises the same answer as the service, with no framework and no database. The benchmark
serves it as ``tools.bench.ceiling:application`` under the same gunicorn settings, the answer's
shape given in BENCH_CEILING_RESPONSE (see ceiling_spec)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "http://services.mgt.identity.carbon.wso2.org"
OPERATION = f"{{{SERVICE_NS}}}getAllChallengeQuestions"
SPEC_VARIABLE = "BENCH_CEILING_RESPONSE"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
HEADERS = [("Content-Type", "text/xml; charset=utf-8")]
_spec: dict[str, Any] | None = None


def ceiling_spec(response: bytes) -> dict[str, Any]:
    """The shape of the real getAllChallengeQuestions answer, for the ceiling to rebuild."""
    root = etree.fromstring(response)
    body = root[0]
    answer = body[0]
    return {
        "root": root.tag,
        "nsmap": dict(root.nsmap),
        "body": body.tag,
        "response": answer.tag,
        "item": answer[0].tag if len(answer) else f"{{{SERVICE_NS}}}return",
        "items": [[(child.tag, child.text) for child in item] for item in answer],
    }


def _answer(spec: dict[str, Any]) -> bytes:
    envelope = etree.Element(spec["root"], nsmap=spec["nsmap"])
    answer = etree.SubElement(etree.SubElement(envelope, spec["body"]), spec["response"])
    for item in spec["items"]:
        element = etree.SubElement(answer, spec["item"])
        for tag, text in item:
            etree.SubElement(element, tag).text = text
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    global _spec
    if environ.get("PATH_INFO") == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok\n"]
    if _spec is None:  # read once per process, after gunicorn has set the environment
        _spec = json.loads(os.environ[SPEC_VARIABLE])
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    root = etree.fromstring(body, PARSER)
    operation = root.find(f"{{{SOAP}}}Body")[0]
    if operation.tag != OPERATION:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"unexpected operation\n"]
    out = _answer(_spec)
    start_response("200 OK", HEADERS + [("Content-Length", str(len(out)))])
    return [out]
