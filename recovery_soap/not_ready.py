"""Answers while the service cannot be built: its database unreachable, its schema not migrated,
a setting wrong. The process stays up and says why, in each face's own format (never an HTML
500): /healthz 200 (the process lives), /readyz 503 with the reason, SOAP a Server fault, REST
its JSON error, anything else a plain 503. The application is built again on a later request,
so a database that comes back or a `recovery-soap db upgrade` is picked up without a restart."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
SOAP12 = "application/soap+xml"


class NotReady:
    """The WSGI answers of a process whose application could not be built, for ``reason``."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        from recovery_soap.app import REST_PREFIXES, _is_rest_path
        from recovery_soap.soap.edge import BASE_PATH, plain

        path = environ.get("PATH_INFO", "") or "/"
        if path == "/healthz":
            return plain(start_response, "200 OK", "ok (not ready: see /readyz)")
        if path == "/readyz":
            return plain(start_response, "503 Service Unavailable", f"not ready\n{self.reason}")
        if path.startswith(BASE_PATH) and environ.get("REQUEST_METHOD") == "POST":
            return self._soap_fault(environ, start_response)
        if path.startswith(REST_PREFIXES) and _is_rest_path(path):
            from recovery_soap.rest.edge import unavailable_response

            answer: Iterable[bytes] = unavailable_response(path, self.reason)(
                environ, start_response
            )
            return answer
        return plain(
            start_response,
            "503 Service Unavailable",
            f"temporarily unavailable: {self.reason}",
            [("Retry-After", "5")],
        )

    def _soap_fault(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        from recovery_soap.soap.faults import fault_envelope

        soap12 = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower() == SOAP12
        body = fault_envelope(soap12=soap12, sender=False, message="temporarily unavailable")
        kind = SOAP12 if soap12 else "text/xml"
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", f"{kind}; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Retry-After", "5"),
            ],
        )
        return [body]
