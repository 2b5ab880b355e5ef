"""No SOAP multi-reference values: a request carrying one is refused as a client fault.

spyne resolves SOAP-encoding references (``href="#a"`` pointing at an element with ``id="a"``)
before any validation by copying the target's text, attributes and children into every
reference: 240 KB of request grew a worker by 486 MB, 1 MiB by 8 GB. The legacy contract is
document/literal, where no value is ever shared, so a reference (SOAP 1.1 ``href``, SOAP 1.2
encoding's ``ref``) anywhere in the envelope is refused, and spyne is given no ids to resolve.
The short path (soap/plain_requests.py) asks the same question and leaves such a request to
spyne, which refuses it.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from spyne import Fault

SOAP12_ENCODING = "http://www.w3.org/2003/05/soap-encoding"
_ANY_REFERENCE = etree.XPath(
    "boolean(//@href | //@*[local-name() = 'ref' and namespace-uri() = $encoding])"
)
REFUSED = "Multi-reference values (href) are not supported: send every value in place"


def has_references(root: Any) -> bool:
    """Whether any element of the document refers to another one."""
    return bool(_ANY_REFERENCE(root, encoding=SOAP12_ENCODING))


def refuse_references(ctx: Any) -> None:
    """After parsing: refuse a document with references, and keep no id table to resolve."""
    document = ctx.in_document
    if document is None:
        return
    root = document[0] if isinstance(document, tuple) else document
    if has_references(root):
        raise Fault("Client.MultiReferenceNotAllowed", REFUSED)
    ctx.in_document = (root, {})  # spyne resolves hrefs only when it has ids
