"""The HTTP edge of the SOAP face: which requests reach spyne, and how.

Only a POST of a SOAP envelope (text/xml for SOAP 1.1, application/soap+xml for SOAP 1.2) to a
service path, without a query string, from an authenticated service account, runs an operation.
The body is read up to the configured cap before anything parses it (413 above), chunked bodies
included. GET ?wsdl serves the WSDL; everything else is 404/405/415/401. An empty body, or a
crash inside spyne itself, is answered with a SOAP fault of the request's version, never a trace.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from spyne import const as spyne_const

from recovery_soap.core import callers, sessions
from recovery_soap.core.errors import Unavailable
from recovery_soap.core.model import Caller
from recovery_soap.core.services import Services
from recovery_soap.edge import (
    BodyTooLarge,
    base_url,
    basic_credentials,
    client_address,
    read_body,
    request_id_of,
    scheme_of,
)
from recovery_soap.forwarded import TrustedProxies
from recovery_soap.soap.content_type import AmbiguousContentType, parse_content_type
from recovery_soap.soap.context import ADDRESS_KEY, CALLER_KEY, HTTPS_KEY, REQUEST_ID_KEY
from recovery_soap.soap.envelope import markup_refusal
from recovery_soap.soap.faults import (
    UNAVAILABLE,
    UNEXPECTED,
    RecoveryApplication,
    fault_envelope,
)
from recovery_soap.soap.protocol import SafeSoap11, SafeSoap12
from recovery_soap.soap.service import UserInformationRecoveryService
from recovery_soap.soap.sessions import session_id_of
from recovery_soap.soap.short_path import ShortPath
from recovery_soap.soap.types import SERVICE_NS
from recovery_soap.soap.wsdl import SERVICE, render_wsdl
from recovery_soap.soap.wsgi_server import WsgiApplication

log = logging.getLogger("recovery_soap.http")

StartResponse = Callable[..., Any]
BASE_PATH = f"/services/{SERVICE}"
SOAP11 = "text/xml"
SOAP12 = "application/soap+xml"
NO_PROXIES = TrustedProxies()


def service_paths(service: str = SERVICE) -> frozenset[str]:
    """The bare service path and the legacy per-port endpoint names, with and without a slash."""
    base = f"/services/{service}"
    paths = {base}
    for transport in ("Http", "Https"):
        for kind in ("Soap11", "Soap12", ""):
            paths.add(f"{base}.{service}{transport}{kind}Endpoint")
    return frozenset(paths | {p + "/" for p in paths})


SERVICE_PATHS = service_paths()


def plain(
    start_response: StartResponse, status: str, text: str, headers: Iterable[tuple[str, str]] = ()
) -> list[bytes]:
    body = (text + "\n").encode()
    start_response(
        status,
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *headers,
        ],
    )
    return [body]


def soap_fault(
    start_response: StartResponse, media_type: str, status: str, message: str, exc_info: Any = None
) -> list[bytes]:
    """A fault in the request's SOAP version: Client/Sender for 4xx, Server/Receiver otherwise."""
    soap12 = media_type == SOAP12
    body = fault_envelope(soap12=soap12, sender=status.startswith("4"), message=message)
    headers = [
        ("Content-Type", f"{SOAP12 if soap12 else SOAP11}; charset=utf-8"),
        ("Content-Length", str(len(body))),
    ]
    start_response(status, headers, exc_info)
    return [body]


def _spyne_app(
    env: Services,
    protocol: type,
    max_body: int,
    service: type = UserInformationRecoveryService,
    tns: str = SERVICE_NS,
) -> WsgiApplication:
    # spyne runs a full gc.collect() at most once a second per process by default: a latency
    # spike on a hot path. The collector's own thresholds (and gc.freeze under gunicorn) suffice.
    spyne_const.MIN_GC_INTERVAL = float("inf")
    application = RecoveryApplication(
        [service],
        tns=tns,
        name=service.__name__,
        in_protocol=protocol(validator="lxml"),
        out_protocol=protocol(),
    )
    application.recovery_env = env
    return WsgiApplication(application, max_content_length=max_body)


@dataclass(frozen=True)
class Admitted:
    """A request past the HTTP checks: its caller (None where none is required) and address."""

    caller: Caller | None
    address: str


class SoapEdge:
    """Serves the service paths: SOAP POSTs to spyne (1.1 or 1.2 by Content-Type), GET ?wsdl."""

    service = SERVICE
    #: Operations run only for an authenticated caller (HTTP Basic or a session cookie).
    caller_required = True

    def __init__(
        self,
        env: Services,
        *,
        max_body: int,
        proxies: TrustedProxies = NO_PROXIES,
        require_https: bool = False,
    ) -> None:
        self._env = env
        self._max_body = max_body
        self.proxies = proxies
        self._require_https = require_https
        self._by_type = {
            SOAP11: self._spyne_app(SafeSoap11),
            SOAP12: self._spyne_app(SafeSoap12),
        }
        self._short = self._short_path()

    def _spyne_app(self, protocol: type) -> WsgiApplication:
        return _spyne_app(self._env, protocol, self._max_body)

    def _short_path(self) -> ShortPath | None:
        return ShortPath(self._env, self._by_type)

    def _wsdl(self, base: str) -> bytes:
        return render_wsdl(base)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        query = environ.get("QUERY_STRING", "")
        if method in ("GET", "HEAD"):
            return self._get(environ, start_response, head=method == "HEAD", query=query)
        if method != "POST" or query:
            return plain(
                start_response,
                "405 Method Not Allowed",
                "Operations are invoked by POSTing a SOAP envelope to the service "
                "address, without a query string.",
                [("Allow", "POST")],
            )
        media_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if media_type not in self._by_type:
            return plain(
                start_response,
                "415 Unsupported Media Type",
                "Use text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2).",
            )
        try:
            content_type = parse_content_type(environ.get("CONTENT_TYPE", ""))
        except AmbiguousContentType as ambiguous:
            return soap_fault(start_response, media_type, "400 Bad Request", str(ambiguous))
        admitted = self._admit(environ, media_type, start_response)
        if not isinstance(admitted, Admitted):
            return admitted
        body = self._read(environ, media_type, start_response)
        if not isinstance(body, bytes):
            return body
        inner = dict(environ)
        inner["CONTENT_TYPE"] = content_type.header()  # spyne reads the charset as we did
        inner["wsgi.input"] = io.BytesIO(body)
        inner["CONTENT_LENGTH"] = str(len(body))
        inner.pop("HTTP_TRANSFER_ENCODING", None)
        inner[CALLER_KEY] = admitted.caller
        inner[ADDRESS_KEY] = admitted.address
        inner[HTTPS_KEY] = scheme_of(environ, self.proxies) == "https"
        inner[REQUEST_ID_KEY] = request_id_of(environ)
        return self._run(inner, body, media_type, admitted.caller, start_response)

    def _get(
        self, environ: dict[str, Any], start_response: StartResponse, *, head: bool, query: str
    ) -> Iterable[bytes]:
        """GET or HEAD: the WSDL for ?wsdl, else 405."""
        if query.lower() in ("wsdl", "wsdl="):
            document = self._wsdl(base_url(environ, self.proxies))
            start_response(
                "200 OK",
                [
                    ("Content-Type", "text/xml; charset=utf-8"),
                    ("Content-Length", str(len(document))),
                ],
            )
            return [] if head else [document]
        return plain(
            start_response,
            "405 Method Not Allowed",
            "Operations are invoked by POSTing a SOAP envelope; GET serves ?wsdl only.",
            [("Allow", "POST")],
        )

    def _admit(
        self, environ: dict[str, Any], media_type: str, start_response: StartResponse
    ) -> Admitted | Iterable[bytes]:
        """The caller, or the refusal: HTTPS only, too many failed logins, no credentials."""
        if self._require_https and scheme_of(environ, self.proxies) != "https":
            return plain(start_response, "403 Forbidden", "This service is served over HTTPS only.")
        address = client_address(environ, self.proxies)
        try:
            if callers.too_many_failures(self._env, address):
                return plain(
                    start_response,
                    "429 Too Many Requests",
                    "Too many failed logins; try again later.",
                    [("Retry-After", "60")],
                )
            caller = self._authenticate(environ, address)
        except Unavailable:
            # A fault travels on 500 (SOAP 1.1 §6.2, WS-I R1126), an outage included.
            return soap_fault(start_response, media_type, "500 Internal Server Error", UNAVAILABLE)
        if caller is None and self.caller_required:
            return plain(
                start_response,
                "401 Unauthorized",
                "Service-account credentials required.",
                [("WWW-Authenticate", f'Basic realm="{self.service}", charset="UTF-8"')],
            )
        return Admitted(caller, address)

    def _read(
        self, environ: dict[str, Any], media_type: str, start_response: StartResponse
    ) -> bytes | Iterable[bytes]:
        """The body, or the refusal: over the cap, empty, or too much markup to parse."""
        try:
            body = read_body(environ, self._max_body)
        except BodyTooLarge:
            return plain(
                start_response,
                "413 Content Too Large",
                f"The request body must not exceed {self._max_body} bytes.",
            )
        if not body.strip():
            return soap_fault(
                start_response, media_type, "400 Bad Request", "The request has no SOAP envelope."
            )
        too_much = markup_refusal(body)
        if too_much is not None:
            return soap_fault(start_response, media_type, "400 Bad Request", too_much)
        return body

    def _run(
        self,
        inner: dict[str, Any],
        body: bytes,
        media_type: str,
        caller: Caller | None,
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        """The operation: by the short path when it recognises the request, else by spyne."""
        request_id = inner[REQUEST_ID_KEY]

        def start_with_id(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, ("X-Request-Id", request_id)], exc_info)

        short = self._short if caller is not None else None
        call = short.recognise(body, inner["CONTENT_TYPE"], media_type) if short else None
        try:
            if short is not None and call is not None and caller is not None:
                return short.answer(call, caller, media_type, inner, start_with_id)
            answer: Iterable[bytes] = self._by_type[media_type](inner, start_with_id)
            return answer
        except Exception:  # a crash inside spyne itself: still a fault, never a trace
            log.exception("SOAP request failed outside any operation")
            return soap_fault(
                start_response,
                media_type,
                "500 Internal Server Error",
                UNEXPECTED,
                exc_info=sys.exc_info(),
            )

    def _authenticate(self, environ: dict[str, Any], address: str) -> Caller | None:
        """The caller for the request's HTTP Basic credentials, else for its session cookie
        (AuthenticationAdmin login); failures are audited and counted."""
        credentials = basic_credentials(environ)
        session_id = session_id_of(environ) if credentials is None else None
        caller = None
        if credentials is not None:
            caller = callers.authenticate(self._env, credentials[0], credentials[1], address)
        elif session_id is not None:
            caller = sessions.caller_of(self._env, session_id, address)
        if caller is None:
            callers.record_auth_failure(self._env, credentials[0] if credentials else "", address)
        return caller
