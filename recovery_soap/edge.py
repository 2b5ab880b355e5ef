"""The HTTP edge shared by the SOAP and REST faces: a capped request body, the request id,
HTTP Basic credentials, and the client's address and scheme (behind trusted proxies or not).

Plain WSGI, no framework: the SOAP face must not load the REST stack, nor the REST face spyne.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from typing import Any

from recovery_soap.core.errors import RecoverySoapError
from recovery_soap.forwarded import TrustedProxies

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_of(environ: dict[str, Any]) -> str:
    """The caller's X-Request-Id when it is a plain token, else a new one."""
    given = str(environ.get("HTTP_X_REQUEST_ID", ""))
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]


class BodyTooLarge(RecoverySoapError):
    """The request body is over the configured cap."""


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The body, at most ``limit`` bytes, by Content-Length or to the end of a chunked one."""
    stream = environ["wsgi.input"]
    length = (environ.get("CONTENT_LENGTH") or "").strip()
    if length:
        try:
            size = int(length)
        except ValueError:
            raise BodyTooLarge from None
        if size < 0 or size > limit:
            raise BodyTooLarge
        return bytes(stream.read(size))
    chunks, total = [], 0
    while True:
        chunk = stream.read(min(65536, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise BodyTooLarge
    return b"".join(chunks)


def basic_credentials(environ: dict[str, Any]) -> tuple[str, str] | None:
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, sep, secret = decoded.partition(":")
    return (name, secret) if sep else None


def client_address(environ: dict[str, Any], proxies: TrustedProxies) -> str:
    """The client's address: the peer's, or the one a trusted proxy names (forwarded.py)."""
    return proxies.client_address(environ)


def scheme_of(environ: dict[str, Any], proxies: TrustedProxies) -> str:
    scheme = str(environ.get("wsgi.url_scheme", "http"))
    return (proxies.forwarded(environ, "proto") or scheme).lower()


def base_url(environ: dict[str, Any], proxies: TrustedProxies) -> str:
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    )
    host = proxies.forwarded(environ, "host") or host
    return f"{scheme_of(environ, proxies)}://{host}"
