"""The HTTP edge of AuthenticationAdmin: the SOAP front of the main service (media types, body
cap, HTTPS-only, the per-address limit on failed logins) without its caller requirement, since
``login`` is how a caller gets one and ``logout`` carries its own session cookie."""

from __future__ import annotations

from typing import Any

from recovery_soap.core.model import Caller
from recovery_soap.soap.authentication_admin import (
    AUTH_NS,
    AUTH_SERVICE,
    AuthenticationAdmin,
    answer_in_only,
    fault_detail,
)
from recovery_soap.soap.authentication_admin_wsdl import render_wsdl
from recovery_soap.soap.edge import SoapEdge, _spyne_app, service_paths
from recovery_soap.soap.wsgi_server import WsgiApplication

AUTH_PATHS = service_paths(AUTH_SERVICE)


class AuthenticationAdminEndpoint(SoapEdge):
    service = AUTH_SERVICE
    caller_required = False

    def _spyne_app(self, protocol: type) -> WsgiApplication:
        wsgi = _spyne_app(self._env, protocol, self._max_body, AuthenticationAdmin, AUTH_NS)
        wsgi.app.detail_for = fault_detail
        wsgi.event_manager.add_listener("wsgi_return", answer_in_only)
        return wsgi

    def _short_path(self) -> None:
        return None

    def _wsdl(self, base: str) -> bytes:
        return render_wsdl(base)

    def _authenticate(self, environ: dict[str, Any], address: str) -> Caller | None:
        return None  # login and logout authenticate for themselves (core.sessions)
