"""SOAP 1.1 and 1.2 protocols that refuse any document with a DTD, and answer every malformed
envelope with a Client fault instead of a crash.

lxml is already set not to load DTDs, resolve entities or touch the network; but an internal
entity is silently cut out of a value, so a DOCTYPE is refused outright with a Client fault.
spyne 2.14 crashes (a bare HTTP 500) on an unknown charset, a Body without an operation element,
and any schema-validation failure or fault detail over SOAP 1.2: each becomes a proper fault here.
Whitespace inside an operation that takes no arguments is accepted, as Axis2 accepted it.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lxml import etree
from spyne import Fault
from spyne.protocol.soap import Soap11, Soap12

from recovery_soap.soap.addressing import HeaderBlocks
from recovery_soap.soap.fault_status import (
    MalformedMessage,
    malformed,
    soap11_status,
    soap12_status,
)
from recovery_soap.soap.references import refuse_references

# spyne's parser defaults already hold: load_dtd=False, resolve_entities=False, no_network=True,
# huge_tree=False; libxml2 >= 2.13 bounds entity amplification.


def _root(ctx: Any) -> Any:
    document = ctx.in_document
    return document[0] if isinstance(document, tuple) else document  # (root, xmlids)


def _refuse_dtd(ctx: Any) -> None:
    if ctx.in_document is None:
        return
    info = _root(ctx).getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.system_url:
        raise MalformedMessage("Client.DTDNotAllowed", "Document type declarations are not allowed")


@contextmanager
def _charset_checked() -> Iterator[None]:
    """An unknown charset or bytes not in it: spyne lets LookupError/UnicodeError escape."""
    try:
        yield
    except (LookupError, UnicodeError):
        raise MalformedMessage(
            "Client.EncodingError", "The body is not in the declared charset"
        ) from None
    except Fault as fault:  # not well-formed XML
        raise malformed(fault) from None


def _check_body(ctx: Any, envelope_ns: str) -> None:
    """The Body's first child must be an operation element: spyne dereferences it unchecked,
    and would take a Fault there for a response to process."""
    root = _root(ctx)
    if root.tag != f"{{{envelope_ns}}}Envelope":
        raise MalformedMessage(
            "Client.SoapError", f"No {{{envelope_ns}}}Envelope element was found!"
        )
    body = root.find(f"{{{envelope_ns}}}Body")
    if body is None:
        raise MalformedMessage("Client.SoapError", "The SOAP envelope has no Body")
    if len(body) == 0 or not isinstance(body[0].tag, str):
        raise Fault("Client.SoapError", "The SOAP Body has no operation element")
    operation = body[0]
    if operation.tag == f"{{{envelope_ns}}}Fault":
        raise Fault("Client.SoapError", "A request may not carry a SOAP Fault")
    if len(operation) == 0 and operation.text is not None and not operation.text.strip():
        # <ser:getCaptcha>\n</ser:getCaptcha> (pretty-printed, no arguments): Axis2 took it, but
        # the schema validator refuses any text in an element whose content type is empty.
        operation.text = None


class SafeSoap11(HeaderBlocks, Soap11):
    def fault_to_http_response_code(self, fault: Any) -> str:
        return soap11_status(fault)

    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        with _charset_checked():
            super().create_in_document(ctx, charset)
        _refuse_dtd(ctx)
        refuse_references(ctx)

    def decompose_incoming_envelope(self, ctx: Any, message: Any = Soap11.REQUEST) -> None:
        _check_body(ctx, self.ns_soap_env)
        super().decompose_incoming_envelope(ctx, message)


class SafeSoap12(HeaderBlocks, Soap12):
    def fault_to_http_response_code(self, fault: Any) -> str:
        return soap12_status(fault)

    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        with _charset_checked():
            super().create_in_document(ctx, charset)
        _refuse_dtd(ctx)
        refuse_references(ctx)

    def decompose_incoming_envelope(self, ctx: Any, message: Any = Soap12.REQUEST) -> None:
        _check_body(ctx, self.ns_soap_env)
        super().decompose_incoming_envelope(ctx, message)

    def _fault_to_parent_impl(
        self, ctx: Any, cls: Any, inst: Any, parent: Any, ns: Any, subelts: list[Any], **kwargs: Any
    ) -> Any:
        # spyne's Soap12 takes only a dict as detail (TypeError otherwise); put the legacy
        # exception element (faults.fault_detail) in soap:Detail as Soap11 puts it in <detail>.
        if isinstance(inst.detail, etree._Element):
            detail = etree.Element(f"{{{self.ns_soap_env}}}Detail")
            detail.append(copy.deepcopy(inst.detail))
            subelts.append(detail)
            inst = copy.copy(inst)
            inst.detail = None
        return super()._fault_to_parent_impl(ctx, cls, inst, parent, ns, subelts, **kwargs)

    def schema_validation_error_to_parent(
        self, ctx: Any, cls: Any, inst: Any, parent: Any, ns: Any, **_: Any
    ) -> Any:
        # spyne 2.14 puts the (bytes) message straight into soap:Reason, which lxml refuses.
        text = inst.faultstring
        if isinstance(text, bytes):
            text = text.decode("ascii")
        text = html.unescape(text).removeprefix("<string>")
        return self.fault_to_parent(ctx, Fault, Fault(inst.faultcode, text), parent, ns)
