"""The one pre-check of a request envelope, shared by spyne's protocols (soap/protocol.py) and the
short path's parser (soap/plain_requests.py): what spyne refuses, the short path leaves to spyne.

- Markup bound, on the bytes before anything parses them: a parsed tree costs about 120 bytes per
  element or attribute whatever its size in the request, and spyne then wraps each SOAP header
  entry in a Python object (1 MiB of ``<h/>`` grew a worker by 55 MiB). No request of the legacy
  contract comes near a few hundred tags, so a body with more than MAX_TAGS ``<`` or
  MAX_ATTRIBUTES ``=`` (upper bounds on its tags and attributes, whatever the encoding) is refused.
- No DTD: lxml is set not to load DTDs or resolve entities, but an internal entity is silently cut
  out of a value, so a DOCTYPE is refused outright (a SOAP message must not carry one).
- No multi-reference values: spyne resolves SOAP-encoding references (``href="#a"`` to an element
  with ``id="a"``) before any validation by copying the target into every reference (240 KB of
  request grew a worker by 486 MB). The legacy contract is document/literal, where no value is
  ever shared, so a reference (SOAP 1.1 ``href``, SOAP 1.2 encoding's ``ref``) is refused.
- Whitespace inside an operation that takes no arguments is accepted, as Axis2 accepted it.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from spyne import Fault

from recovery_soap.soap.fault_status import MalformedMessage

MAX_TAGS = 20_000
MAX_ATTRIBUTES = 20_000
SOAP12_ENCODING = "http://www.w3.org/2003/05/soap-encoding"
_ANY_REFERENCE = etree.XPath(
    "boolean(//@href | //@*[local-name() = 'ref' and namespace-uri() = $encoding])"
)
REFUSED_REFERENCES = "Multi-reference values (href) are not supported: send every value in place"


def markup_refusal(body: bytes) -> str | None:
    """Why ``body`` holds too much markup to be parsed, or None."""
    if body.count(b"<") > MAX_TAGS:
        return f"The request has too much markup (more than {MAX_TAGS} tags)"
    if body.count(b"=") > MAX_ATTRIBUTES:
        return f"The request has too much markup (more than {MAX_ATTRIBUTES} attributes)"
    return None


def has_references(root: Any) -> bool:
    """Whether any element of the document refers to another one."""
    return bool(_ANY_REFERENCE(root, encoding=SOAP12_ENCODING))


def refusal(root: Any) -> Fault | None:
    """The Client fault refusing a parsed envelope (a DTD, a multi-reference value), or None."""
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.system_url:
        return MalformedMessage(
            "Client.DTDNotAllowed", "Document type declarations are not allowed"
        )
    if has_references(root):
        return Fault("Client.MultiReferenceNotAllowed", REFUSED_REFERENCES)
    return None


def settle_blank_operation(operation: Any) -> None:
    """``<ser:getCaptcha>\\n</ser:getCaptcha>`` (pretty-printed, no arguments): Axis2 took it, but
    the schema validator refuses any text in an element whose content type is empty."""
    if len(operation) == 0 and operation.text is not None and not operation.text.strip():
        operation.text = None
