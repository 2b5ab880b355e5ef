"""The HTTP edge shared by the REST faces: reading a capped body, client address and scheme,
request ids, and JSON answers in each face's error shape (never HTML, never a trace)."""

from __future__ import annotations

import io
import json
import re
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_MEDIA = "application/scim+json"
JSON_MEDIA = "application/json"
FORM_MEDIA = "application/x-www-form-urlencoded"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class BodyTooLarge(Exception):
    """The request body is over the configured cap."""


def request_id_of(environ: dict[str, Any]) -> str:
    """The caller's X-Request-Id when it is a plain token, else a new one."""
    given = str(environ.get("HTTP_X_REQUEST_ID", ""))
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]


def buffer_body(environ: dict[str, Any], limit: int) -> None:
    """Read the body (by Content-Length, or a chunked one to its end) up to ``limit`` bytes and
    put it back as a seekable stream, so nothing downstream reads more than the cap."""
    stream = environ.get("wsgi.input") or io.BytesIO()
    length = (environ.get("CONTENT_LENGTH") or "").strip()
    if length:
        try:
            size = int(length)
        except ValueError:
            raise BodyTooLarge from None
        if size < 0 or size > limit:
            raise BodyTooLarge
        body = bytes(stream.read(size))
    else:
        chunks, total = [], 0
        while True:
            chunk = stream.read(min(65536, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise BodyTooLarge
        body = b"".join(chunks)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = True


def client_address(environ: dict[str, Any], trust_proxy: bool) -> str:
    if trust_proxy:
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded).split(",")[0].strip()
    return str(environ.get("REMOTE_ADDR", ""))


def scheme_of(environ: dict[str, Any], trust_proxy: bool) -> str:
    scheme = str(environ.get("wsgi.url_scheme", "http"))
    if trust_proxy:
        scheme = str(environ.get("HTTP_X_FORWARDED_PROTO") or scheme).split(",")[0].strip()
    return scheme.lower()


def media_type(request: Request) -> str:
    return (request.mimetype or "").lower()


def json_response(
    payload: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    content_type: str = JSON_MEDIA,
) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    response = Response(body, status=status, content_type=f"{content_type}; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def json_body(request: Request) -> dict[str, Any] | None:
    """The request's JSON object, or None when the body is not one."""
    try:
        value = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


class Family:
    """Which error shape a path's answers take."""

    OAUTH = "oauth"
    SCIM = "scim"
    SUBSCRIBER = "subscriber"
    PLAIN = "plain"


def error_response(
    family: str,
    status: int,
    error: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """An error in the face's own JSON shape."""
    if family == Family.SCIM:
        payload: dict[str, Any] = {
            "schemas": [SCIM_ERROR],
            "status": str(status),
            "detail": message,
        }
        return json_response(payload, status, headers, SCIM_MEDIA)
    if family == Family.SUBSCRIBER:
        return json_response(
            {"success": False, "message": message, "error": error}, status, headers
        )
    if family == Family.OAUTH:
        payload = {"error": error, "error_description": message}
        return json_response(payload, status, {"Cache-Control": "no-store", **(headers or {})})
    return json_response({"error": error, "message": message}, status, headers)
