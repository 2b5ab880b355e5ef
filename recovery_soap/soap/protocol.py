"""SOAP 1.1 and 1.2 protocols that refuse any document with a DTD.

lxml is already set not to load DTDs, resolve entities or touch the network; but an internal
entity is silently cut out of a value, so a DOCTYPE is refused outright with a Client fault.
"""

from __future__ import annotations

from typing import Any

from spyne import Fault
from spyne.protocol.soap import Soap11, Soap12

# spyne's parser defaults already hold: load_dtd=False, resolve_entities=False, no_network=True,
# huge_tree=False; libxml2 >= 2.13 bounds entity amplification.


def _refuse_dtd(ctx: Any) -> None:
    document = ctx.in_document
    if document is None:
        return
    root = document[0] if isinstance(document, tuple) else document  # (root, xmlids)
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.system_url:
        raise Fault("Client.DTDNotAllowed", "Document type declarations are not allowed")


class SafeSoap11(Soap11):
    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        super().create_in_document(ctx, charset)
        _refuse_dtd(ctx)


class SafeSoap12(Soap12):
    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        super().create_in_document(ctx, charset)
        _refuse_dtd(ctx)
