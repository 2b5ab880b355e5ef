"""The HTTP status of a SOAP fault, by the book.

SOAP 1.1 (§6.2) and WS-I Basic Profile R1126: a fault answering a well-formed SOAP request travels
on 500, whatever its code; JAX-WS RI and Axis 1 read a fault only from a 500 answer. A request
that is not well-formed XML, not a SOAP envelope of the endpoint's version, or carries a DTD
(which a SOAP message must not, SOAP 1.1 §3) is malformed: 400 (R1113). SOAP 1.2 (part 2, §7.5.1)
sends a Sender fault on 400 and every other fault (Receiver, MustUnderstand, VersionMismatch) on
500.
"""

from __future__ import annotations

from typing import Any

from spyne import Fault
from spyne.const.http import HTTP_400, HTTP_500


class MalformedMessage(Fault):  # type: ignore[misc]  # spyne is untyped
    """A Client fault for a request that is not a well-formed SOAP envelope at all."""


def soap11_status(fault: Any) -> str:
    return str(HTTP_400 if isinstance(fault, MalformedMessage) else HTTP_500)


def soap12_status(fault: Any) -> str:
    code = str(getattr(fault, "faultcode", "") or "")
    sender = code.startswith(("Client", "Sender", "soap12env:Sender"))
    return str(HTTP_400 if sender or isinstance(fault, MalformedMessage) else HTTP_500)


def malformed(fault: Fault) -> MalformedMessage:
    """The same fault, marked as answering a malformed request."""
    return MalformedMessage(fault.faultcode, fault.faultstring, detail=fault.detail)
