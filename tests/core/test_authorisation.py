"""Every use case asks for its one right: a caller lacking it is refused before anything
happens, a caller holding only it gets past the check."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from recovery_soap.core import (
    authorisation,
    challenges,
    directory,
    invitations,
    login,
    registration,
    reset_by_api,
    self_service,
    username_recovery,
)
from recovery_soap.core import password_recovery as recovery
from recovery_soap.core.errors import BadRequest, PermissionDenied
from recovery_soap.core.model import Caller, Permission
from recovery_soap.core.profiles import ProfileChange
from recovery_soap.core.services import Services
from tests.core.conftest import PASSWORD, audit_events, claims_for, lacking

KEY = "00000000-0000-4000-8000-000000000000"
UseCase = Callable[[Services, Caller], Any]

#: (name, right, call): every use case that takes a caller.
USE_CASES: list[tuple[str, Permission, UseCase]] = [
    (
        "registerUser",
        Permission.REGISTER,
        lambda e, c: registration.register_user(e, c, "u1", PASSWORD, claims_for("u1"), None, None),
    ),
    (
        "resendSignUpCode",
        Permission.REGISTER,
        lambda e, c: registration.resend_signup_code(e, c, "u1", "", None, None),
    ),
    (
        "confirmUserSelfRegistration",
        Permission.REGISTER,
        lambda e, c: registration.confirm_registration(e, c, "u1", KEY, None, None),
    ),
    ("verifyUser", Permission.RECOVER, lambda e, c: recovery.verify_user(e, c, "u1", None)),
    (
        "sendRecoveryNotification",
        Permission.RECOVER,
        lambda e, c: recovery.send_recovery_notification(e, c, "u1", KEY, "EMAIL"),
    ),
    (
        "verifyConfirmationCode",
        Permission.RECOVER,
        lambda e, c: recovery.verify_confirmation_code(e, c, "u1", KEY, None),
    ),
    (
        "updatePassword",
        Permission.RECOVER,
        lambda e, c: recovery.update_password(e, c, "u1", KEY, PASSWORD),
    ),
    (
        "getUserChallengeQuestionIds",
        Permission.VIEW,
        lambda e, c: challenges.question_ids(e, c, "u1", KEY),
    ),
    (
        "getUserChallengeQuestions",
        Permission.VIEW,
        lambda e, c: challenges.user_questions(e, c, "u1", KEY),
    ),
    (
        "getUserChallengeQuestion",
        Permission.VIEW,
        lambda e, c: challenges.user_question(e, c, "u1", KEY, "q"),
    ),
    (
        "verifyUserChallengeAnswer",
        Permission.RECOVER,
        lambda e, c: challenges.verify_answer(e, c, "u1", KEY, "q", "a"),
    ),
    (
        "verifyUserChallengeAnswers",
        Permission.RECOVER,
        lambda e, c: challenges.verify_answers(e, c, "u1", KEY, [("q", "a")]),
    ),
    (
        "verifyAccount",
        Permission.RECOVER,
        lambda e, c: username_recovery.verify_account(e, c, [("x", "y")], None, None),
    ),
    ("invite", Permission.REGISTER, lambda e, c: invitations.invite(e, c, "i@example.test")),
    ("confirmInvitee", Permission.REGISTER, lambda e, c: invitations.confirm_invitee(e, c, KEY)),
    (
        "addInvitedUser",
        Permission.REGISTER,
        lambda e, c: invitations.add_user(e, c, KEY, PASSWORD, "First", "Last"),
    ),
    ("logIn", Permission.LOGIN, lambda e, c: login.log_in(e, c, "u1", PASSWORD)),
    ("readUser", Permission.USERS_VIEW, lambda e, c: directory.read(e, c, 1)),
    ("searchUsers", Permission.USERS_LIST, lambda e, c: directory.search(e, c, [])),
    (
        "createUser",
        Permission.USERS_CREATE,
        lambda e, c: directory.create(e, c, "u2", PASSWORD, {}),
    ),
    (
        "replaceUser",
        Permission.USERS_UPDATE,
        lambda e, c: directory.replace(e, c, 1, lambda _: ProfileChange()),
    ),
    ("deleteUser", Permission.USERS_DELETE, lambda e, c: directory.delete(e, c, 1)),
    (
        "checkSignupLink",
        Permission.REGISTER,
        lambda e, c: self_service.check_signup_link(e, c, "u1", KEY, None),
    ),
    (
        "checkRecoveryLink",
        Permission.RECOVER,
        lambda e, c: self_service.check_recovery_link(e, c, "u1", KEY),
    ),
    ("questionSets", Permission.RECOVER, lambda e, c: self_service.question_sets(e, c, "u1", KEY)),
    (
        "registerWithCaptcha",
        Permission.REGISTER,
        lambda e, c: self_service.register_with_captcha(
            e, c, None, "u1", PASSWORD, claims_for("u1")
        ),
    ),
    ("resetInitiate", Permission.RECOVER, lambda e, c: reset_by_api.initiate(e, c, "u1")),
    ("resetVerify", Permission.RECOVER, lambda e, c: reset_by_api.verify(e, c, "u1", KEY)),
    (
        "resetConfirm",
        Permission.RECOVER,
        lambda e, c: reset_by_api.confirm(e, c, "u1", KEY, PASSWORD),
    ),
]
IDS = [name for name, _, _ in USE_CASES]


@pytest.mark.parametrize(("name", "right", "call"), USE_CASES, ids=IDS)
def test_a_caller_lacking_the_right_is_refused_and_nothing_happens(
    env: Services, caller: Caller, engine: Any, name: str, right: Permission, call: UseCase
) -> None:
    before = audit_events(engine)
    with pytest.raises(PermissionDenied, match="not authorized|own user"):
        call(env, lacking(caller, right))
    assert audit_events(engine) == before


@pytest.mark.parametrize(("name", "right", "call"), USE_CASES, ids=IDS)
def test_a_caller_holding_only_the_right_gets_past_the_check(
    env: Services, caller: Caller, name: str, right: Permission, call: UseCase
) -> None:
    only = dataclasses.replace(caller, permissions=frozenset({right}))
    try:
        call(env, only)
    except PermissionDenied:
        pytest.fail(f"{name} refused a caller holding {right.value}")
    except Exception:  # noqa: BLE001 - any later refusal (no such user, bad code) is expected
        pass


@pytest.mark.parametrize(
    ("name", "right", "call"),
    [case for case in USE_CASES if case[1] is not Permission.LOGIN and case[0] != "readUser"],
    ids=[n for n, r, _ in USE_CASES if r is not Permission.LOGIN and n != "readUser"],
)
def test_a_user_token_may_not_act_for_the_service(
    env: Services, caller: Caller, name: str, right: Permission, call: UseCase
) -> None:
    """A token a user obtained carries the account's rights only for the user's own profile."""
    as_user = dataclasses.replace(caller, user_id=999)
    with pytest.raises(PermissionDenied):
        call(env, as_user)


def test_the_catalogue_needs_no_right(env: Services, caller: Caller) -> None:
    nobody = dataclasses.replace(caller, permissions=frozenset())
    assert challenges.all_questions(env, nobody)


def test_rights_are_named_in_either_spelling() -> None:
    assert authorisation.parse_rights(["recover", "users_update"]) == {
        Permission.RECOVER,
        Permission.USERS_UPDATE,
    }
    scopes = authorisation.scopes_of({Permission.USERS_LIST})
    assert authorisation.rights_of(scopes) == {Permission.USERS_LIST}
    with pytest.raises(BadRequest):
        authorisation.parse_rights(["everything"])


def test_a_token_keeps_only_scopes_the_account_still_holds() -> None:
    scopes = authorisation.scopes_of({Permission.USERS_LIST, Permission.USERS_VIEW})
    kept = authorisation.token_rights({Permission.USERS_VIEW}, scopes)
    assert authorisation.rights_of(kept) == {Permission.USERS_VIEW}


def test_the_table_names_every_use_case_that_asks_for_a_right() -> None:
    """A new use case that checks a right gets a row above, or this fails."""
    import importlib
    import inspect
    import pkgutil

    import recovery_soap.core as core

    called = {name for _, _, call in USE_CASES for name in call.__code__.co_names}
    asking = set()
    for info in pkgutil.iter_modules(core.__path__):
        if info.name in ("authorisation", "services", "opening"):
            continue  # the check itself (opening.admit asks it first)
        module = importlib.import_module(f"recovery_soap.core.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__:
                continue
            source = inspect.getsource(function)
            if any(
                check in source
                for check in (
                    "require(caller",
                    "require_self_or(caller",
                    "opening.admit(env, caller",
                )
            ):
                asking.add(f"{info.name}.{name}")
    assert asking, "no use case found: the scan is broken"
    missing = sorted(q for q in asking if q.rsplit(".", 1)[1] not in called)
    assert missing == []
