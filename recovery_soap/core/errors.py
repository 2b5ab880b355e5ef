"""Domain errors, each carrying the legacy error code the wire reports.

RecoveryError                 a business failure: the wire answers an error bean (verified=false)
├── InvalidCode        18001  a code or key that is unknown, used, of another step or user
├── ExpiredCode        18002  a code or key past its expiry (a client may offer a resend)
├── InvalidUser        18003  unknown, ambiguous or unusable user
├── InvalidCaptcha     18004  wrong, unknown, used or expired captcha
├── InvalidCredential  17002  a password the policy refuses at registration
├── LoginFailed        17002  a user's name and password did not authenticate (REST faces)
├── UpdateFailed       18013  the password could not be changed (policy, missing proof)
├── AccountLocked      18013  the account is locked
├── RegistrationFailed 18013  the account could not be created as asked
├── WrongAnswer        17002  a challenge answer did not match
├── NotificationFailed 18015  the message could not be prepared (no address)
├── InvalidTenant      18016  unknown tenant, or a tenant the caller may not use here
└── QuestionsMissing   18016  the user has no challenge questions / unknown question
RequestRefused                the caller may not make this request: the wire answers a fault
├── PermissionDenied          the service account lacks the operation's permission
├── TenantRefused             a tenant other than the caller's, outside SaaS mode
└── BadRequest                required input missing or malformed
StoreConflict                 the store refused a duplicate (use cases map it)
Unavailable                   the store cannot be reached: a Server fault, try again later
"""

from __future__ import annotations


class RecoveryError(Exception):
    """A business failure reported to the caller as ``"<code> <message>"`` in an error bean."""

    code: str = "18013"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def wire_text(self) -> str:
        return f"{self.code} {self.message}"


class InvalidCode(RecoveryError):
    code = "18001"


class ExpiredCode(RecoveryError):
    code = "18002"


class InvalidUser(RecoveryError):
    code = "18003"


class InvalidCaptcha(RecoveryError):
    code = "18004"


class InvalidCredential(RecoveryError):
    code = "17002"


class LoginFailed(RecoveryError):
    code = "17002"


class UpdateFailed(RecoveryError):
    code = "18013"


class AccountLocked(RecoveryError):
    code = "18013"


class RegistrationFailed(RecoveryError):
    code = "18013"


class WrongAnswer(RecoveryError):
    code = "17002"


class NotificationFailed(RecoveryError):
    code = "18015"


class InvalidTenant(RecoveryError):
    code = "18016"


class QuestionsMissing(RecoveryError):
    code = "18016"


class RequestRefused(Exception):
    """The request itself is refused; the wire answers a SOAP fault with this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermissionDenied(RequestRefused):
    pass


class TenantRefused(RequestRefused):
    pass


class BadRequest(RequestRefused):
    pass


class StoreConflict(Exception):
    """A row that must be unique already exists (a concurrent registration, say)."""


class Unavailable(Exception):
    """A dependency (the database) is unreachable; callers should retry later."""
