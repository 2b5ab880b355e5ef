"""Core errors to the wire, in one place.

Business failures (RecoveryError) become the operation's error bean; refused requests become a
Client fault; an unreachable database a Server fault saying so; anything else a generic Server
fault (18013) with no trace: the exception is logged, never sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from lxml import etree
from spyne import Application, Fault

from recovery_soap.core.errors import BadRequest, RecoveryError, RequestRefused, Unavailable
from recovery_soap.soap import convert
from recovery_soap.soap.context import record_call
from recovery_soap.soap.hot_operations import started_at
from recovery_soap.soap.types import BASE_NS, MGT_NS, SERVICE_NS

log = logging.getLogger("recovery_soap.soap")

UNEXPECTED = "18013 Unexpected error while processing the request"
UNAVAILABLE = "The service is temporarily unavailable; try again later"
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
#: getUserIdentitySupportedClaims declares the base IdentityException; the others its subclass.
BASE_EXCEPTION_OPERATIONS = frozenset({"getUserIdentitySupportedClaims"})


def fault_detail(operation: str, error_code: str | None) -> etree._Element:
    """The legacy fault element: <UserInformationRecoveryService…Exception><…Exception>.

    The protocol puts it inside the fault's <detail> (SOAP 1.1) or <Detail> (SOAP 1.2).
    """
    name = (
        "IdentityException"
        if operation in BASE_EXCEPTION_OPERATIONS
        else ("IdentityMgtServiceException")
    )
    wrapper = etree.Element(f"{{{SERVICE_NS}}}UserInformationRecoveryService{name}")
    exception = etree.SubElement(
        wrapper,
        f"{{{SERVICE_NS}}}{name}",
        nsmap={"ax": BASE_NS, "mgt": MGT_NS},
    )
    if error_code:
        etree.SubElement(exception, f"{{{BASE_NS}}}errorCode").text = error_code
    return wrapper


def fault_envelope(*, soap12: bool, sender: bool, message: str) -> bytes:
    """A bare fault of either SOAP version, for requests spyne never saw or could not answer."""
    ns = SOAP12_ENV if soap12 else SOAP11_ENV
    root = etree.Element(f"{{{ns}}}Envelope", nsmap={"soapenv": ns})
    fault = etree.SubElement(etree.SubElement(root, f"{{{ns}}}Body"), f"{{{ns}}}Fault")
    if soap12:
        code = etree.SubElement(fault, f"{{{ns}}}Code")
        value = "Sender" if sender else "Receiver"
        etree.SubElement(code, f"{{{ns}}}Value").text = f"soapenv:{value}"
        reason = etree.SubElement(fault, f"{{{ns}}}Reason")
        text = etree.SubElement(reason, f"{{{ns}}}Text")
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        text.text = message
    else:
        value = "Client" if sender else "Server"
        etree.SubElement(fault, "faultcode").text = f"soapenv:{value}"
        etree.SubElement(fault, "faultstring").text = message
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return document


class RecoveryApplication(Application):  # type: ignore[misc]  # spyne is untyped
    """A spyne Application whose every call goes through the error mapping above."""

    recovery_env: Any = None
    #: The declared fault element of an operation (another service declares its own).
    detail_for: Callable[[str, str | None], etree._Element] = staticmethod(fault_detail)

    def _fault(
        self, operation: str, code: str, message: str, error_code: str | None = None
    ) -> Fault:
        return Fault(
            faultcode=code, faultstring=message, detail=self.detail_for(operation, error_code)
        )

    def call_wrapper(self, ctx: Any) -> Any:
        operation = ctx.descriptor.name if ctx.descriptor else "unknown"
        environ = getattr(getattr(ctx, "transport", None), "req_env", None) or {}
        started = started_at(environ)  # set when the short path already ran the core call
        if started is None:
            started = time.perf_counter()
        outcome, code = "ok", None
        try:
            return super().call_wrapper(ctx)
        except RecoveryError as error:
            outcome, code = "error", error.code
            return_type = getattr(ctx.descriptor.out_message, "_type_info", {}).get("return")
            bean = convert.error_bean(getattr(return_type, "__orig__", None) or return_type, error)
            if bean is not None:
                return bean
            outcome = "fault"
            raise self._fault(operation, "Server", error.wire_text, error.code) from None
        except RequestRefused as refused:
            outcome, code = "refused", "client"
            kind = "Client.BadRequest" if isinstance(refused, BadRequest) else "Client"
            raise self._fault(operation, kind, refused.message) from None
        except Unavailable:
            outcome, code = "unavailable", "18014"
            log.warning("operation %s: database unavailable", operation)
            raise self._fault(operation, "Server", UNAVAILABLE, "18014") from None
        except Fault:
            outcome = "fault"
            raise
        except Exception as unexpected:
            outcome, code = "fault", "18013"
            # The type only: a message may quote request data.
            log.error(
                "operation %s failed unexpectedly: %s",
                operation,
                type(unexpected).__name__,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            raise self._fault(operation, "Server", UNEXPECTED, "18013") from None
        finally:
            record_call(environ, operation, outcome, code, started)
