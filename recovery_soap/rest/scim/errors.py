"""Every failure as a SCIM Error response (RFC 7644 section 3.12): the status as a string, a
``scimType`` where the RFC has one, a detail that names no secret and carries no trace."""

from __future__ import annotations

from pydantic import ValidationError
from scim2_models import Error, SCIMException
from werkzeug.wrappers import Response

from recovery_soap.core.errors import (
    BadRequest,
    ClaimNotSettable,
    InvalidClaimValue,
    InvalidUser,
    PasswordRefused,
    RecoveryError,
    RecoverySoapError,
    RequestRefused,
    UsernameTaken,
    VersionMismatch,
)
from recovery_soap.rest.bearer import TokenRejected
from recovery_soap.rest.http import SCIM_ERROR, SCIM_MEDIA, json_response


class ScimFailure(RecoverySoapError):
    """A failure the endpoint raises itself: status, scimType, detail."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


def answer(status: int, detail: str, scim_type: str | None = None) -> Response:
    payload = {"schemas": [SCIM_ERROR], "status": str(status), "detail": detail}
    if scim_type:
        payload["scimType"] = scim_type
    return json_response(payload, status, content_type=SCIM_MEDIA)


def _core(error: Exception) -> Response | None:
    """Core errors, most specific first."""
    if isinstance(error, VersionMismatch):
        return answer(412, error.message)
    if isinstance(error, UsernameTaken):
        return answer(409, error.message, "uniqueness")
    if isinstance(error, ClaimNotSettable):
        return answer(400, error.message, "mutability")
    if isinstance(error, (InvalidClaimValue, PasswordRefused)):
        return answer(400, error.message, "invalidValue")
    if isinstance(error, InvalidUser):
        return answer(404, "Resource not found")
    if isinstance(error, BadRequest):
        return answer(400, error.message, "invalidValue")
    if isinstance(error, RequestRefused):
        return answer(403, error.message)
    if isinstance(error, RecoveryError):
        return answer(400, error.message)
    return None


def to_response(error: Exception) -> Response | None:
    """The SCIM answer for a known error; None for anything else (the face answers 500)."""
    if isinstance(error, ScimFailure):
        return answer(error.status, error.detail, error.scim_type)
    if isinstance(error, TokenRejected):
        response = answer(error.status, error.description)
        response.headers["WWW-Authenticate"] = error.www_authenticate()
        return response
    if isinstance(error, SCIMException):
        scim_error = error.to_error()
        return answer(scim_error.status or 400, error.detail, scim_error.scim_type)
    if isinstance(error, ValidationError):
        first = Error.from_validation_errors(error)[0]
        return answer(first.status or 400, first.detail or "Invalid request", first.scim_type)
    return _core(error)
