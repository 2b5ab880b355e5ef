"""SOAP 1.1 and 1.2 protocols that run the envelope pre-check (soap/envelope.py: no DTD, no
multi-reference values, whitespace of argument-less operations), and answer every malformed
envelope with a Client fault instead of a crash.

spyne 2.14 crashes (a bare HTTP 500) on an unknown charset, a Body without an operation element,
and any schema-validation failure or fault detail over SOAP 1.2: each becomes a proper fault here.
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

from recovery_soap.soap import envelope
from recovery_soap.soap.addressing import HeaderBlocks
from recovery_soap.soap.fault_status import (
    MalformedMessage,
    malformed,
    soap11_status,
    soap12_status,
)

# spyne's parser defaults already hold: load_dtd=False, resolve_entities=False, no_network=True,
# huge_tree=False; libxml2 >= 2.13 bounds entity amplification.


def _root(ctx: Any) -> Any:
    document = ctx.in_document
    return document[0] if isinstance(document, tuple) else document  # (root, xmlids)


def _check_document(ctx: Any) -> None:
    """After parsing: the shared pre-check, and no id table left for spyne to resolve."""
    if ctx.in_document is None:
        return
    root = _root(ctx)
    refused = envelope.refusal(root)
    if refused is not None:
        raise refused
    ctx.in_document = (root, {})  # spyne resolves hrefs only when it has ids


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
    envelope.settle_blank_operation(operation)


class _Checked:
    """What both versions add to spyne's reading of a request (mixed in before the protocol)."""

    ns_soap_env: str

    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        with _charset_checked():
            super().create_in_document(ctx, charset)  # type: ignore[misc]  # spyne's, after us
        _check_document(ctx)

    def decompose_incoming_envelope(self, ctx: Any, message: Any = Soap11.REQUEST) -> None:
        _check_body(ctx, self.ns_soap_env)
        super().decompose_incoming_envelope(ctx, message)  # type: ignore[misc]  # spyne's


class SafeSoap11(_Checked, HeaderBlocks, Soap11):  # type: ignore[misc]  # spyne is untyped
    def fault_to_http_response_code(self, fault: Any) -> str:
        return soap11_status(fault)


class SafeSoap12(_Checked, HeaderBlocks, Soap12):  # type: ignore[misc]  # spyne is untyped
    def fault_to_http_response_code(self, fault: Any) -> str:
        return soap12_status(fault)

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
