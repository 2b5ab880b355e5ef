"""The REST faces' WSGI edge: which paths go to the token endpoint, the JWKS, SCIM and the
subscriber API, with the checks every REST request passes first.

Every answer is JSON in the face's own error shape (OAuth, SCIM or subscriber), never HTML and
never a trace: an unknown path is 404, a wrong method 405, an oversized body 413, a body of the
wrong media type 415, plain HTTP under ``require_https`` 403, an unreachable database 503.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from recovery_soap import observe
from recovery_soap.config import Settings
from recovery_soap.core.errors import Unavailable
from recovery_soap.core.services import Services
from recovery_soap.core.statistics import EventCounts
from recovery_soap.edge import BodyTooLarge, client_address, request_id_of, scheme_of
from recovery_soap.forwarded import TrustedProxies
from recovery_soap.rest.http import (
    FORM_MEDIA,
    JSON_MEDIA,
    SCIM_MEDIA,
    Family,
    UnreadableBody,
    buffer_body,
    error_response,
    json_response,
    media_type,
)
from recovery_soap.rest.signing_key_ring import KeyRing
from recovery_soap.rest.subscriber import SUBSCRIBER_PATH, SubscriberApi
from recovery_soap.rest.tokens import JwtVerifier, TokenEndpoint

log = logging.getLogger("recovery_soap.rest")
StartResponse = Callable[..., Any]

OAUTH_PREFIX = "/oauth2/"
SCIM_PATH = re.compile(r"^(?:/t/(?P<tenant>[^/]+))?/scim2(?:/.*)?$")
ADDRESS_KEY = "recovery_soap.client_address"
BODY_METHODS = ("POST", "PUT", "PATCH")


class RestEdge:
    """The WSGI callable for every REST path (built on the first REST request, with the key
    ring and the audit counts the composition root gives it)."""

    def __init__(
        self, settings: Settings, env: Services, keys: KeyRing, counts: EventCounts
    ) -> None:
        self.settings = settings
        self.env = env
        self.proxies = TrustedProxies.from_settings(settings)
        self.keys = keys
        self.verifier = JwtVerifier(env, self.keys, settings)
        self.tokens = TokenEndpoint(env, self.keys, settings)
        self.subscriber = SubscriberApi(env, self.verifier, settings, counts)
        self._scim: Any = None
        self._scim_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = request_id_of(environ)
        path = environ.get("PATH_INFO", "") or "/"
        family, route = _route_of(path)
        environ[ADDRESS_KEY] = client_address(environ, self.proxies)
        try:
            response = self._answer(environ, path, family)
        except Unavailable:
            response = error_response(
                family, 503, "temporarily_unavailable", "The service is temporarily unavailable."
            )
            response.headers["Retry-After"] = "5"
        except UnreadableBody as unreadable:
            response = error_response(family, 400, "invalid_request", str(unreadable))
        except Exception:  # noqa: BLE001 - never a trace to the client; the log has it
            log.exception("REST request %s failed", request_id)
            response = error_response(family, 500, "server_error", "An unexpected error occurred.")
        response.headers["X-Request-Id"] = request_id
        observe.record_request(
            face=family,
            route=route,
            method=environ.get("REQUEST_METHOD", "GET"),
            status=response.status_code,
            seconds=time.perf_counter() - started,
            request_id=request_id,
        )
        return response(environ, start_response)

    def _answer(self, environ: dict[str, Any], path: str, family: str) -> Response:
        method = environ.get("REQUEST_METHOD", "GET")
        if self.settings.require_https and scheme_of(environ, self.proxies) != "https":
            return error_response(
                family, 403, "https_required", "This service is served over HTTPS only."
            )
        if method in BODY_METHODS:
            try:
                buffer_body(environ, self.settings.rest_max_body_bytes)
            except BodyTooLarge:
                return error_response(
                    family,
                    413,
                    "request_too_large",
                    f"The request body must not exceed {self.settings.rest_max_body_bytes} bytes.",
                )
        request = Request(environ)
        request.max_content_length = self.settings.rest_max_body_bytes
        if method in BODY_METHODS and request.content_length:
            allowed = _MEDIA.get(family, (JSON_MEDIA,))
            if media_type(request) not in allowed:
                return error_response(
                    family,
                    415,
                    "unsupported_media_type",
                    f"Send the body as {' or '.join(allowed)}.",
                )
        if family == Family.OAUTH:
            return self._oauth(request, path)
        if family == Family.SCIM:
            match = SCIM_PATH.match(path)
            assert match is not None
            return self._scim_endpoint(request, match.group("tenant"))
        return self.subscriber(request, path[len(SUBSCRIBER_PATH) :].strip("/"))

    def _oauth(self, request: Request, path: str) -> Response:
        if path == "/oauth2/token":
            if request.method != "POST":
                return _not_allowed(Family.OAUTH, "POST")
            return self.tokens(request)
        if path == "/oauth2/jwks":
            if request.method not in ("GET", "HEAD"):
                return _not_allowed(Family.OAUTH, "GET")
            response = json_response(self.keys.jwks())
            response.headers["Cache-Control"] = "public, max-age=60"
            return response
        return error_response(Family.OAUTH, 404, "not_found", "Not found.")

    def _scim_endpoint(self, request: Request, tenant: str | None) -> Response:
        if self._scim is None:
            with self._scim_lock:
                if self._scim is None:
                    try:
                        module = importlib.import_module("recovery_soap.rest.scim.endpoint")
                    except ModuleNotFoundError as missing:
                        if not (missing.name or "").startswith("recovery_soap.rest.scim"):
                            raise
                        return error_response(Family.SCIM, 404, "not_found", "Not found.")
                    self._scim = module.ScimEndpoint(self.env, self.verifier, self.settings)
        return self._scim(request, tenant)  # type: ignore[no-any-return]


_MEDIA = {
    Family.OAUTH: (FORM_MEDIA,),
    Family.SCIM: (SCIM_MEDIA, JSON_MEDIA),
    Family.SUBSCRIBER: (JSON_MEDIA,),
}


def _route_of(path: str) -> tuple[str, str]:
    """The error family of a path, and a low-cardinality route name for metrics."""
    if path.startswith(OAUTH_PREFIX):
        return Family.OAUTH, path if path in ("/oauth2/token", "/oauth2/jwks") else "/oauth2/*"
    match = SCIM_PATH.match(path)
    if match is not None:
        rest = path[match.end("tenant") :] if match.group("tenant") else path
        resource = rest.split("/")[2] if rest.count("/") >= 2 else ""
        if resource and resource not in _SCIM_RESOURCES:
            resource = "*"
        return Family.SCIM, f"/scim2/{resource}" if resource else "/scim2"
    action = path[len(SUBSCRIBER_PATH) :].strip("/")
    return (
        Family.SUBSCRIBER,
        f"{SUBSCRIBER_PATH}/{action}" if action in _ACTIONS else SUBSCRIBER_PATH,
    )


_SCIM_RESOURCES = {"Me", "Users", "Groups", "ServiceProviderConfig", "ResourceTypes", "Schemas"}
_ACTIONS = {
    "authenticate",
    "confirm-invitee",
    "addUser",
    "reset-password/initiate",
    "reset-password/verify",
    "reset-password/confirm",
    "statistics",
}


def _not_allowed(family: str, allow: str) -> Response:
    return error_response(
        family, 405, "method_not_allowed", "Method not allowed.", {"Allow": allow}
    )


def unavailable_response(path: str, reason: str) -> Response:
    """503 in the JSON shape of the face ``path`` belongs to (the service cannot serve yet)."""
    family, _ = _route_of(path)
    error = "temporarily_unavailable" if family == Family.OAUTH else "unavailable"
    return error_response(family, 503, error, reason, {"Retry-After": "5"})
