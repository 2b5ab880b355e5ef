"""What a person is told when a core use case refuses: by the kind of error, in their language.

The core's messages are written for integrators (legacy wire texts); the pages never show them.
"""

from __future__ import annotations

from recovery_soap.core.errors import (
    AccountLocked,
    InvalidCaptcha,
    InvalidCredential,
    InvalidTenant,
    InvalidUser,
    NotificationFailed,
    QuestionsMissing,
    RecoveryError,
    RecoveryLocked,
    TooManyRequests,
    UpdateFailed,
    WrongAnswer,
)
from recovery_soap.pages.page import Page

CAPTCHA = "captcha_answer"


def too_many(page: Page) -> str:
    return page._("Too many attempts. Please wait a while and try again.")


def explain(page: Page, error: RecoveryError) -> tuple[str | None, str]:
    """(the form field the error belongs to, or None for the whole form; the message)."""
    if isinstance(error, InvalidCaptcha):
        return CAPTCHA, page._("The characters did not match the picture. Try this new one.")
    if isinstance(error, (TooManyRequests, RecoveryLocked)):
        return None, too_many(page)
    if isinstance(error, AccountLocked):
        return "username", page._("This account is locked. Contact your administrator.")
    if isinstance(error, InvalidCredential | UpdateFailed):
        return "password", page._("This password does not meet the policy.")
    if isinstance(error, InvalidUser):
        return "username", page._("No account can be used with this user name.")
    if isinstance(error, NotificationFailed):
        return None, page._("This account has no e-mail address to send a message to.")
    if isinstance(error, WrongAnswer):
        return None, page._("That answer was not right.")
    if isinstance(error, InvalidTenant | QuestionsMissing):
        return None, page._("This request cannot be completed.")
    return None, page._("Something went wrong. Please start again.")
