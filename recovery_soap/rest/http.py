"""What the REST faces share on top of recovery_soap.edge: a buffered, capped body, and JSON
answers in each face's error shape (never HTML, never a trace)."""

from __future__ import annotations

import io
import json
from typing import Any

from werkzeug.wrappers import Request, Response

from recovery_soap.core.errors import RecoverySoapError
from recovery_soap.edge import read_body

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_MEDIA = "application/scim+json"
JSON_MEDIA = "application/json"
FORM_MEDIA = "application/x-www-form-urlencoded"


def buffer_body(environ: dict[str, Any], limit: int) -> None:
    """Read the body (by Content-Length, or a chunked one to its end) up to ``limit`` bytes and
    put it back as a seekable stream, so nothing downstream reads more than the cap."""
    if environ.get("wsgi.input") is None:
        environ["wsgi.input"] = io.BytesIO()
    body = read_body(environ, limit)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = True


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


class UnreadableBody(RecoverySoapError, ValueError):
    """A JSON body with a string UTF-8 cannot carry: answered 400 in the face's error shape."""


def json_body(request: Request) -> dict[str, Any] | None:
    """The request's JSON object, or None when the body is not one.

    JSON's \\u escapes can name a lone surrogate ("\\ud800"), which Python decodes into a
    string that fails wherever it is encoded (a hash, the database): refused here, for every
    face, before any use case sees it."""
    try:
        value = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(value, dict):
        return None
    if has_lone_surrogate(value):
        raise UnreadableBody(UNREADABLE)
    return value


def has_lone_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds a string UTF-8 cannot encode."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


UNREADABLE = "The body has a string that is not valid UTF-8 (a lone surrogate escape)."


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
