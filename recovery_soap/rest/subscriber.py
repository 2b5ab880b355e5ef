"""The subscriber-management REST API (``/api/am/user/subscriber/...``) of the hosted API store,
over the same core as the SOAP face.

Every answer is ``{"success": bool, "message": str, "data"?: str}`` with the hosted API's
messages; ``data`` is a JSON document in a string, as there. A missing or invalid token is a JSON
401 with ``WWW-Authenticate`` (the hosted API answers an XML fault). The admin calls need a
client-credentials token with ``apim:subscribe``; each call then runs with the account's own
rights (core/authorisation.py): inviting needs ``register``, resets ``recover``, authenticate
``login``, statistics ``subscribe``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from recovery_soap.config import Settings
from recovery_soap.core import authorisation, invitations, login, reset_by_api, statistics
from recovery_soap.core.errors import (
    AccountLocked,
    ExpiredCode,
    InvalidCode,
    LoginFailed,
    PermissionDenied,
    RecoveryError,
    RecoveryLocked,
    RequestRefused,
    TooManyRequests,
)
from recovery_soap.core.model import Caller, Permission
from recovery_soap.core.scopes import SUBSCRIBE
from recovery_soap.core.services import Services
from recovery_soap.core.statistics import EventCounts
from recovery_soap.rest.bearer import BearerVerifier, Principal, TokenRejected
from recovery_soap.rest.http import Family, error_response, json_body, json_response

SUBSCRIBER_PATH = "/api/am/user/subscriber"
#: The only values taken from a URL: those of the hosted API's invitation link. Everything else,
#: credentials above all, comes from the body (a URL ends up in logs and browser histories).
LINK_PARAMETERS = {"confirm-invitee": ("confirmation", "isStoreInvitee", "IsInvitee", "tenant")}
Handler = Callable[[Caller, Principal, dict[str, Any]], Response]


def answer(
    success: bool, message: str, data: Any = None, status: int = 200, **extra: Any
) -> Response:
    payload: dict[str, Any] = {"success": success, **extra, "message": message}
    if data is not None:
        payload["data"] = json.dumps(data, separators=(",", ":"))
    return json_response(payload, status)


def _text(body: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = body.get(name)
        if isinstance(value, str):
            return value
    return None


class SubscriberApi:
    def __init__(
        self, env: Services, verifier: BearerVerifier, settings: Settings, counts: EventCounts
    ) -> None:
        self._env = env
        self._verifier = verifier
        self._counts = counts
        self._routes: dict[str, tuple[Handler, bool]] = {
            "": (self.invite, True),
            "authenticate": (self.authenticate, True),
            "confirm-invitee": (self.confirm_invitee, True),
            "addUser": (self.add_user, True),
            "reset-password/initiate": (self.reset_initiate, True),
            "reset-password/verify": (self.reset_verify, True),
            "reset-password/confirm": (self.reset_confirm, True),
            "statistics": (self.statistics, False),
        }

    def __call__(self, request: Request, action: str) -> Response:
        route = self._routes.get(action)
        if route is None:
            return error_response(Family.SUBSCRIBER, 404, "not_found", "Not found.")
        if request.method != "POST":
            return error_response(
                Family.SUBSCRIBER,
                405,
                "method_not_allowed",
                "Method not allowed.",
                {"Allow": "POST"},
            )
        try:
            principal = self._verifier.verify(request, (SUBSCRIBE,))
        except TokenRejected as rejected:
            return error_response(
                Family.SUBSCRIBER,
                rejected.status,
                rejected.error or "invalid_token",
                rejected.description,
                {"WWW-Authenticate": rejected.www_authenticate()},
            )
        handler, admin_only = route
        if admin_only and principal.is_user:
            refusal = TokenRejected(
                403,
                "insufficient_scope",
                "This call needs an application (client) token.",
                (SUBSCRIBE,),
            )
            return error_response(
                Family.SUBSCRIBER,
                403,
                refusal.error,
                refusal.description,
                {"WWW-Authenticate": refusal.www_authenticate()},
            )
        link = {k: v for k, v in request.args.items() if k in LINK_PARAMETERS.get(action, ())}
        body = {**link, **(json_body(request) or {})}
        if request.content_length and json_body(request) is None:
            return answer(False, "The request body must be a JSON object.", status=400)
        # The account's real rights: apim:subscribe opens this face, each call's right is the
        # core's to check.
        caller = principal.caller(str(request.environ.get("recovery_soap.client_address", "")))
        try:
            authorisation.require(caller, Permission.SUBSCRIBE)
            return handler(caller, principal, body)
        except PermissionDenied as error:
            return answer(False, error.message, status=403)
        except TooManyRequests as error:
            return answer(False, error.message, status=429)
        except RecoveryError as error:
            return answer(False, error.message, status=400)
        except RequestRefused as error:
            return answer(False, error.message, status=400)

    def authenticate(self, caller: Caller, principal: Principal, body: dict[str, Any]) -> Response:
        try:
            login.log_in(self._env, caller, _text(body, "username"), _text(body, "password"))
        except (LoginFailed, AccountLocked, RecoveryLocked):
            return answer(True, login.INVALID, authenticated=False)
        return answer(True, "User is successfully authenticated.", authenticated=True)

    def invite(self, caller: Caller, principal: Principal, body: dict[str, Any]) -> Response:
        invitations.invite(self._env, caller, _text(body, "username"), _text(body, "email"))
        return answer(True, "User is invited successfully.")

    def confirm_invitee(
        self, caller: Caller, principal: Principal, body: dict[str, Any]
    ) -> Response:
        key = _text(body, "confirmationKey", "confirmation")
        try:
            invitee = invitations.confirm_invitee(self._env, caller, key)
        except (InvalidCode, ExpiredCode):
            return answer(False, invitations.INVALID_LINK, status=400)
        if invitee.existing:
            return answer(
                True,
                f"The user : {invitee.email} has been successfully invited. "
                "Please use the same password to login",
            )
        return answer(
            True,
            f"Successfully confirmed the the confirmation key for the user {invitee.email}",
            {"confirmationKey": invitee.key, "email": invitee.email},
        )

    def add_user(self, caller: Caller, principal: Principal, body: dict[str, Any]) -> Response:
        try:
            user = invitations.add_user(
                self._env,
                caller,
                _text(body, "confirmationKey"),
                _text(body, "password"),
                _text(body, "firstName"),
                _text(body, "lastName"),
            )
        except (InvalidCode, ExpiredCode):
            return answer(False, invitations.INVALID_KEY, status=400)
        return answer(True, f"Successfully added the user to the tenant {user.tenant.domain}")

    def reset_initiate(
        self, caller: Caller, principal: Principal, body: dict[str, Any]
    ) -> Response:
        email = _text(body, "email", "username")
        reset_by_api.initiate(self._env, caller, email)
        return answer(
            True,
            f"If {email} is a registered user, a password reset code has been mailed to them.",
        )

    def reset_verify(self, caller: Caller, principal: Principal, body: dict[str, Any]) -> Response:
        try:
            verified = reset_by_api.verify(
                self._env,
                caller,
                _text(body, "email", "username"),
                _text(body, "confirmationCode", "confirmation", "code"),
            )
        except (InvalidCode, ExpiredCode):
            return answer(False, invitations.INVALID_LINK, status=400)
        return answer(
            True,
            f"Provided verification code for the email {verified.email} has been successfully "
            "verified",
            {
                "confirmationKey": verified.key,
                "verified": True,
                "userName": verified.username,
                "email": verified.email,
            },
        )

    def reset_confirm(self, caller: Caller, principal: Principal, body: dict[str, Any]) -> Response:
        email = _text(body, "email", "username")
        reset_by_api.confirm(
            self._env,
            caller,
            email,
            _text(body, "confirmationKey"),
            _text(body, "newPassword", "password"),
        )
        return answer(
            True,
            f"Password has been successfully reset for the user {email}. "
            "Please login with your new password.",
        )

    def statistics(self, caller: Caller, principal: Principal, body: dict[str, Any]) -> Response:
        kind = _text(body, "statisticsType", "type")
        today = self._env.clock.now().date()
        try:
            end = date.fromisoformat(_text(body, "endDate", "to") or today.isoformat())
            start = date.fromisoformat(
                _text(body, "startDate", "from") or (end - timedelta(days=29)).isoformat()
            )
        except ValueError:
            return answer(False, "startDate and endDate must be dates (YYYY-MM-DD).", status=400)
        days = statistics.statistic(self._counts, principal.tenant, kind, start, end)
        subject = principal.username or principal.client_id
        return answer(
            True,
            f"Successfully retrieved the statistics data for the statistics type {kind} for the "
            f"user {subject}@{principal.tenant.domain}",
            [{"date": d.day.isoformat(), "count": d.count} for d in days],
        )
