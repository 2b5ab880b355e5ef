"""The product's one exception root, and every error the core raises with its legacy code.

RecoverySoapError                     the root: every exception the product defines derives from it
├── RecoveryError                     a business failure: the wire answers an error bean
│   ├── InvalidCode            18001  a code or key that is unknown, used, of another step or user
│   ├── ExpiredCode            18002  a code or key past its expiry (a client may offer a resend)
│   ├── InvalidUser            18003  unknown, ambiguous or unusable user
│   ├── InvalidCaptcha         18004  wrong, unknown, used or expired captcha
│   ├── InvalidCredential      17002  a password the policy refuses at registration
│   ├── LoginFailed            17002  a user's name and password did not authenticate (REST faces)
│   ├── UpdateFailed           18013  the password could not be changed (policy, missing proof)
│   │   └── PasswordRefused    18013  a profile's new password breaks the password policy
│   ├── AccountLocked          18013  the account is locked
│   ├── RegistrationFailed     18013  the account could not be created as asked
│   ├── WrongAnswer            17002  a challenge answer did not match
│   ├── NotificationFailed     18015  the message could not be prepared (no address)
│   ├── InvalidTenant          18016  unknown tenant, or a tenant the caller may not use here
│   ├── QuestionsMissing       18016  the user has no challenge questions / unknown question
│   ├── TooManyRequests        18013  a rate limit of the address or the user is reached
│   ├── RecoveryLocked         18013  failed attempts locked the user's recovery for a while
│   ├── ClaimNotSettable       18013  a profile claim that is unknown, read-only or account state
│   ├── InvalidClaimValue      18013  a profile claim value of the wrong form or length
│   ├── UsernameTaken          18013  another user of the tenant has the name
│   └── VerificationUnavailable 18013 a new e-mail address cannot be verified (external sending)
├── RequestRefused                    the caller may not make this request: the wire answers a fault
│   ├── PermissionDenied              the service account lacks the operation's permission
│   ├── TenantRefused                 a tenant other than the caller's, outside SaaS mode
│   ├── BadRequest                    required input missing or malformed
│   ├── VersionMismatch               the caller's copy of a profile is out of date (If-Match)
│   └── GrantRefused                  an OAuth token request refused, with its RFC 6749 error
├── StoreConflict                     the store refused a duplicate (use cases map it)
├── Unavailable                       the store cannot be reached: a Server fault, try again later
└── (outside the core, each in the module that raises it; spyne Faults are wire answers, not here)
    ├── SettingsError                 config/validation.py: a setting it cannot use (ValueError)
    ├── CommandError                  cli/common.py: a command that cannot do what it was asked
    ├── SourceError                   importer: an import source that cannot be read (ValueError)
    ├── SchemaOutdated                store/schema.py: the database needs a migration (RuntimeError)
    ├── UnreadableMessage             store/sealing.py: a sealed outbox message (ValueError)
    ├── BodyTooLarge                  edge.py: a request body over the limit
    ├── AmbiguousContentType          soap/content_type.py: a charset named twice (ValueError)
    ├── UnreadableBody                rest/http.py: a REST body that cannot be read (ValueError)
    ├── TokenRejected                 rest/bearer.py: a bearer token refused
    └── ScimFailure                   rest/scim/errors.py: a SCIM error response to send
"""

from __future__ import annotations


class RecoverySoapError(Exception):
    """The root of every exception the product defines; never raised itself. Catch it to tell
    the product's own failures from a bug or a library's error."""


class RecoveryError(RecoverySoapError):
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


class TooManyRequests(RecoveryError):
    code = "18013"


class RecoveryLocked(RecoveryError):
    code = "18013"


class ClaimNotSettable(RecoveryError):
    """The claim is unknown, read-only, or account state (never set through a profile)."""

    code = "18013"

    def __init__(self, message: str, claim: str = "") -> None:
        super().__init__(message)
        self.claim = claim


class InvalidClaimValue(RecoveryError):
    """A claim value the profile refuses (an e-mail address of the wrong form, too long)."""

    code = "18013"

    def __init__(self, message: str, claim: str = "") -> None:
        super().__init__(message)
        self.claim = claim


class PasswordRefused(UpdateFailed):
    """The new password breaks the tenant's password policy."""

    code = "18013"


class UsernameTaken(RecoveryError):
    """Another user of the tenant has that username already."""

    code = "18013"


class VerificationUnavailable(RecoveryError):
    """The e-mail address cannot be verified: the service does not send mail itself."""

    code = "18013"


class RequestRefused(RecoverySoapError):
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


class VersionMismatch(RequestRefused):
    """The caller's copy of the profile is out of date (an If-Match precondition failed)."""


class GrantRefused(RequestRefused):
    """A token request the server refuses, with its RFC 6749 section 5.2 error code."""

    def __init__(self, message: str, error: str = "invalid_request") -> None:
        super().__init__(message)
        self.error = error


class StoreConflict(RecoverySoapError):
    """A row that must be unique already exists (a concurrent registration, say)."""


class Unavailable(RecoverySoapError):
    """A dependency (the database) is unreachable; callers should retry later."""
