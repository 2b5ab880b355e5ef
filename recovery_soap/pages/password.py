"""Forgotten password: recoverpassword.do (user name, then the mail or the challenge questions,
one page per question set) and confirmrecovery.do (the link in the recovery mail: a new
password; opening the link never spends its code).

The keys of the core's flow travel in hidden fields from one step to the next, as in the
legacy web application; each is single-use, short-lived and bound to the user and the step.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from recovery_soap.core import challenges, password_recovery
from recovery_soap.core.errors import (
    ExpiredCode,
    InvalidCode,
    InvalidUser,
    RecoveryError,
    WrongAnswer,
)
from recovery_soap.core.self_service import check_recovery_link, question_sets
from recovery_soap.pages.form_fields import new_password, required
from recovery_soap.pages.messages import explain
from recovery_soap.pages.page import Page

START = "recoverpassword.do"


def recover(page: Page) -> Response:
    if page.request.method != "POST":
        return _start_form(page, {})
    step = page.value("step")
    try:
        if step == "mail":
            return _send_mail(page, page.value("key"))
        if step == "questions":
            return _first_question(page)
        if step == "answer":
            return _answer(page)
        if step == "password":
            return _set_password(page, page.value("key"), "new_password.html")
        return _start(page)
    except (InvalidCode, ExpiredCode):
        return page.expired(START)
    except WrongAnswer:
        return page.outcome(
            False,
            page._("That answer was not right"),
            page._("For your safety, please start again."),
            [(page.url(START), page._("Start again"))],
        )


def _start_form(page: Page, errors: dict[str, str], form_error: str = "") -> Response:
    return page.form_page(
        "recover_password.html",
        errors=errors,
        form_error=form_error,
        values={"username": page.value("username")},
        captcha=page.captcha(),
    )


def _start(page: Page) -> Response:
    errors: dict[str, str] = {}
    required(page, ["username"], errors)
    if errors:
        return _start_form(page, errors)
    username = page.value("username")
    try:
        started = password_recovery.verify_user(
            page.env, page.caller, username, page.captcha_input()
        )
        sets = question_sets(page.env, page.caller, username, started.key)
        if page.env.policy.code_and_answers_required:
            sets = []  # the mail first: its link leads on to the questions
    except InvalidUser:
        return _start_form(page, {"username": page._("There is no account with this user name.")})
    except RecoveryError as error:
        field, message = explain(page, error)
        return _start_form(page, {field: message} if field else {}, "" if field else message)
    if not sets:
        return _send_mail(page, started.key or "")
    return page.render("choose_method.html", username=username, key=started.key)


def _send_mail(page: Page, key: str) -> Response:
    username = page.value("username")
    try:
        password_recovery.send_recovery_notification(page.env, page.caller, username, key, "EMAIL")
    except (InvalidCode, ExpiredCode):
        raise
    except RecoveryError as error:
        return page.outcome(False, page._("No message was sent"), explain(page, error)[1])
    return page.outcome(
        True,
        page._("Check your mail"),
        page._(
            "If the account exists, a message with a link to choose a new password "
            "is on its way. The link works for a short time only."
        ),
    )


def _ask(page: Page, key: str, set_id: str, remaining: list[str], error: str = "") -> Response:
    asked = challenges.user_question(page.env, page.caller, page.value("username"), key, set_id)
    return _question_form(page, asked.key or "", set_id, asked.question, remaining, error)


def _question_form(
    page: Page, key: str, set_id: str, question: str, remaining: list[str], error: str = ""
) -> Response:
    return page.form_page(
        "question.html",
        errors={set_id: error} if error else {},
        username=page.value("username"),
        key=key,
        set_id=set_id,
        question=question,
        remaining=",".join(remaining),
    )


def _first_question(page: Page, key: str | None = None) -> Response:
    shown = challenges.user_questions(
        page.env, page.caller, page.value("username"), key or page.value("key")
    )
    sets = [challenge.set_id for challenge in shown.challenges]
    return _ask(page, shown.key, sets[0], sets[1:])


def _answer(page: Page) -> Response:
    set_id = page.value("question_set")
    remaining = [s for s in page.value("remaining").split(",") if s]
    answer = page.form.get(set_id) or ""
    if not answer.strip():
        return _question_form(
            page,
            page.value("key"),
            set_id,
            page.value("question"),
            remaining,
            page._("Please type your answer."),
        )
    answered = challenges.verify_answer(
        page.env, page.caller, page.value("username"), page.value("key"), set_id, answer
    )
    if remaining:
        return _ask(page, answered.key or "", remaining[0], remaining[1:])
    return _password_form(page, "new_password.html", {}, key=answered.key or "")


def _password_form(page: Page, template: str, errors: dict[str, str], **hidden: str) -> Response:
    context: dict[str, Any] = {
        "ask_password": not page.env.policy.code_and_answers_required
        or template == "new_password.html",
        "username": page.value("username"),
        "password_hint": page.password_hint(),
        "captcha": page.captcha() if template == "confirm_recovery.html" else None,
        **hidden,
    }
    return page.form_page(template, errors=errors, **context)


def _set_password(page: Page, key: str, template: str, **hidden: str) -> Response:
    errors: dict[str, str] = {}
    new_password(page, errors)
    if errors:
        return _password_form(page, template, errors, key=key, **hidden)
    try:
        password_recovery.update_password(
            page.env, page.caller, page.value("username"), key, page.form.get("password")
        )
    except (InvalidCode, ExpiredCode):
        raise
    except RecoveryError as error:
        field, message = explain(page, error)
        if field != "password":
            return page.outcome(False, page._("Your password was not changed"), message)
        return _password_form(page, template, {field: message}, key=key, **hidden)
    return page.outcome(
        True,
        page._("Your password has been changed"),
        page._("You can now sign in with your new password."),
    )


def confirm(page: Page) -> Response:
    username, code = page.value("username"), page.value("confirmation")
    if not (username and code):
        return page.expired(START)
    # recovery_proof=code_and_answers: the link leads on to the questions, then the password.
    answers_too = page.env.policy.code_and_answers_required
    try:
        if page.request.method != "POST":
            check_recovery_link(page.env, page.caller, username, code)
            return _password_form(page, "confirm_recovery.html", {}, confirmation=code)
        errors: dict[str, str] = {}
        if not answers_too:
            new_password(page, errors)
        if errors:
            return _password_form(page, "confirm_recovery.html", errors, confirmation=code)
        try:
            verified = password_recovery.verify_confirmation_code(
                page.env, page.caller, username, code, page.captcha_input()
            )
        except (InvalidCode, ExpiredCode):
            raise
        except RecoveryError as error:
            field, message = explain(page, error)
            if field == "captcha_answer":
                return _password_form(
                    page, "confirm_recovery.html", {field: message}, confirmation=code
                )
            raise
        if answers_too:
            return _first_question(page, verified.key)
        return _set_password(page, verified.key or "", "new_password.html")
    except (InvalidCode, ExpiredCode):
        return page.expired(START)
