"""SOAP header blocks: WS-Addressing, and the mustUnderstand rule for every other block.

Axis2 clients with addressing engaged send ``wsa:Action``, ``wsa:To``, ``wsa:MessageID`` and an
anonymous ``wsa:ReplyTo``, and expect the answer to carry ``wsa:Action`` and ``wsa:RelatesTo``.
Both the W3C namespace (2005/08) and the member submission (2004/08) are read, and the answer is
in the namespace the request used. Replies go back on the same HTTP connection only: a
non-anonymous ReplyTo/FaultTo is refused. A block marked mustUnderstand and addressed to this
node (no actor/role, or next/ultimateReceiver) that is not WS-Addressing gets the standard
MustUnderstand fault (SOAP 1.1 §4.2.3, SOAP 1.2 part 1 §5.4.8) instead of being ignored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from spyne import Fault

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
WSA_SUBMISSION = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
ANONYMOUS = {
    WSA: (f"{WSA}/anonymous", f"{WSA}/none"),
    WSA_SUBMISSION: (f"{WSA_SUBMISSION}/role/anonymous",),
}
FAULT_ACTION = {WSA: f"{WSA}/soap/fault", WSA_SUBMISSION: f"{WSA_SUBMISSION}/fault"}
#: Roles (SOAP 1.2) and actors (SOAP 1.1) that address a block to this node.
OUR_ROLES = {
    SOAP11_ENV: ("", "http://schemas.xmlsoap.org/soap/actor/next"),
    SOAP12_ENV: (
        "",
        "http://www.w3.org/2003/05/soap-envelope/role/next",
        "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver",
    ),
}
HEADERS_KEY = "recovery_soap.headers"


@dataclass
class RequestHeaders:
    """What the request's header blocks asked of the answer."""

    wsa_ns: str | None = None
    message_id: str | None = None
    not_understood: list[str] = field(default_factory=list)


def _must_understand(block: Any, envelope_ns: str) -> bool:
    flag = (block.get(f"{{{envelope_ns}}}mustUnderstand") or "").strip()
    if flag not in ("1", "true"):
        return False
    role = "role" if envelope_ns == SOAP12_ENV else "actor"
    return (block.get(f"{{{envelope_ns}}}{role}") or "").strip() in OUR_ROLES[envelope_ns]


def _check_reply_address(block: Any, wsa_ns: str) -> None:
    address = (block.findtext(f"{{{wsa_ns}}}Address") or "").strip()
    if address not in ANONYMOUS[wsa_ns]:
        raise Fault(
            "Client.OnlyAnonymousAddressSupported",
            "Only the anonymous address is supported for wsa:ReplyTo and wsa:FaultTo",
        )


def read_headers(root: Any, envelope_ns: str, environ: dict[str, Any]) -> None:
    """Read the Header's blocks into ``environ``; raise MustUnderstand for a block not
    understood, or a Client fault for a reply address other than the anonymous one."""
    seen = RequestHeaders()
    environ[HEADERS_KEY] = seen
    header = root.find(f"{{{envelope_ns}}}Header")
    for block in header if header is not None else ():
        if not isinstance(block.tag, str):
            continue
        ns = etree.QName(block).namespace
        if ns in ANONYMOUS:
            seen.wsa_ns = ns
            local = etree.QName(block).localname
            if local == "MessageID":
                seen.message_id = (block.text or "").strip() or None
            elif local in ("ReplyTo", "FaultTo"):
                _check_reply_address(block, ns)
        elif _must_understand(block, envelope_ns):
            seen.not_understood.append(block.tag)
    if seen.not_understood:
        names = ", ".join(seen.not_understood)
        raise Fault("MustUnderstand", f"Header blocks not understood: {names}")


def write_headers(ctx: Any, envelope_ns: str) -> None:
    """Add the answer's header blocks to ``ctx.out_document``: WS-Addressing when the request
    used it, and (SOAP 1.2) a NotUnderstood block per header block not understood."""
    environ = getattr(getattr(ctx, "transport", None), "req_env", None) or {}
    seen: RequestHeaders | None = environ.get(HEADERS_KEY)
    envelope = ctx.out_document
    if seen is None or envelope is None:
        return
    blocks = []
    if envelope_ns == SOAP12_ENV:
        for name in seen.not_understood:
            qname = etree.QName(name)
            block = etree.Element(f"{{{SOAP12_ENV}}}NotUnderstood", nsmap={"nu": qname.namespace})
            block.set("qname", f"nu:{qname.localname}")
            blocks.append(block)
    if seen.wsa_ns is not None:
        blocks += _addressing_blocks(ctx, seen, seen.wsa_ns)
    if blocks:
        header = etree.Element(f"{{{envelope_ns}}}Header")
        header.extend(blocks)
        envelope.insert(0, header)


def _addressing_blocks(ctx: Any, seen: RequestHeaders, ns: str) -> list[Any]:
    if ctx.out_error is not None:
        action = FAULT_ACTION[ns]
    else:
        action = f"urn:{ctx.descriptor.name}Response"
    nsmap = {"wsa": ns}
    blocks = []
    for name, text in (
        ("Action", action),
        ("MessageID", f"urn:uuid:{uuid.uuid4()}"),
        ("RelatesTo", seen.message_id),
    ):
        if text is not None:
            block = etree.Element(f"{{{ns}}}{name}", nsmap=nsmap)
            block.text = text
            blocks.append(block)
    return blocks


class HeaderBlocks:
    """Protocol mixin: header blocks read before the operation runs, written into the answer."""

    ns_soap_env: str

    def decompose_incoming_envelope(self, ctx: Any, message: Any = "request") -> None:
        document = ctx.in_document
        root = document[0] if isinstance(document, tuple) else document
        read_headers(root, self.ns_soap_env, ctx.transport.req_env)
        super().decompose_incoming_envelope(ctx, message)  # type: ignore[misc]

    def serialize(self, ctx: Any, message: Any) -> None:
        super().serialize(ctx, message)  # type: ignore[misc]
        write_headers(ctx, self.ns_soap_env)

    def gen_fault_codes(self, faultstring: str) -> tuple[str, list[str]]:
        """SOAP 1.2: spyne knows only Sender and Receiver; MustUnderstand is a code of its own."""
        value, _, rest = faultstring.partition(".")
        if value == "MustUnderstand":
            return f"{self.soap_env}:{value}", rest.split(".") if rest else []  # type: ignore[attr-defined]
        return super().gen_fault_codes(faultstring)  # type: ignore[misc,no-any-return]
