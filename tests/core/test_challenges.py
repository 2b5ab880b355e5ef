"""Recovery by challenge questions: reading proves nothing, right answers add proof, a wrong one
spends the key."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from recovery_soap.core import challenges
from recovery_soap.core import password_recovery as recovery
from recovery_soap.core.errors import (
    InvalidCode,
    QuestionsMissing,
    RecoveryLocked,
    UpdateFailed,
    WrongAnswer,
)
from recovery_soap.core.model import Caller
from recovery_soap.core.services import Services
from tests.core.conftest import (
    ANSWERS,
    NEW_PASSWORD,
    Q1,
    SET1,
    SET2,
    Mail,
    audit_events,
    confirmed_user,
    with_policy,
)


@pytest.fixture
def plain(env: Services) -> Services:
    return with_policy(env, captcha_checked=False)


@pytest.fixture
def asha(env: Services, caller: Caller, mail: Mail) -> str:
    confirmed_user(env, caller, mail, "asha", answers=True)
    return "asha"


def shown_key(plain: Services, caller: Caller, name: str) -> str:
    started = recovery.verify_user(plain, caller, name, None)
    return challenges.question_ids(plain, caller, name, started.key).key


def test_question_ids_list_the_users_sets(plain: Services, caller: Caller, asha: str) -> None:
    started = recovery.verify_user(plain, caller, asha, None)
    ids = challenges.question_ids(plain, caller, asha, started.key)
    assert ids.ids == (SET1, SET2) and ids.key != started.key


def test_user_questions_show_the_chosen_questions(
    plain: Services, caller: Caller, asha: str
) -> None:
    started = recovery.verify_user(plain, caller, asha, None)
    shown = challenges.user_questions(plain, caller, asha, started.key)
    assert [(c.set_id, c.question) for c in shown.challenges][0] == (SET1, Q1)


def test_a_questions_key_alone_cannot_change_the_password(
    plain: Services, caller: Caller, asha: str
) -> None:
    key = shown_key(plain, caller, asha)
    with pytest.raises(InvalidCode):
        recovery.update_password(plain, caller, asha, key, NEW_PASSWORD)


def test_all_answers_right_allow_the_password_change(
    plain: Services, caller: Caller, asha: str
) -> None:
    key = shown_key(plain, caller, asha)
    answered = challenges.verify_answers(plain, caller, asha, key, list(ANSWERS.items()))
    recovery.update_password(plain, caller, asha, answered.key, NEW_PASSWORD)


def test_one_question_at_a_time(plain: Services, caller: Caller, asha: str) -> None:
    key: str | None = shown_key(plain, caller, asha)
    for set_id in (SET1, SET2):
        asked = challenges.user_question(plain, caller, asha, key, set_id)
        assert asked.set_id == set_id and asked.key
        key = challenges.verify_answer(plain, caller, asha, asked.key, set_id, ANSWERS[set_id]).key
    recovery.update_password(plain, caller, asha, key, NEW_PASSWORD)


def test_one_right_answer_is_not_enough_by_default(
    plain: Services, caller: Caller, asha: str
) -> None:
    key = shown_key(plain, caller, asha)
    asked = challenges.user_question(plain, caller, asha, key, SET1)
    one = challenges.verify_answer(plain, caller, asha, asked.key, SET1, ANSWERS[SET1])
    with pytest.raises(UpdateFailed, match="Every challenge question"):
        recovery.update_password(plain, caller, asha, one.key, NEW_PASSWORD)


def test_one_right_answer_is_enough_in_legacy_mode(
    plain: Services, caller: Caller, asha: str
) -> None:
    legacy = with_policy(plain, all_answers_required=False)
    key = shown_key(legacy, caller, asha)
    one = challenges.verify_answers(legacy, caller, asha, key, [(SET1, ANSWERS[SET1])])
    recovery.update_password(legacy, caller, asha, one.key, NEW_PASSWORD)


def test_a_wrong_answer_spends_the_key(plain: Services, caller: Caller, asha: str) -> None:
    key = shown_key(plain, caller, asha)
    asked = challenges.user_question(plain, caller, asha, key, SET1)
    with pytest.raises(WrongAnswer):
        challenges.verify_answer(plain, caller, asha, asked.key, SET1, "Colombo")
    with pytest.raises(InvalidCode):
        challenges.verify_answer(plain, caller, asha, asked.key, SET1, ANSWERS[SET1])


def test_wrong_answers_checked_after_the_key_is_spent_count_towards_the_lock(
    plain: Services, caller: Caller, asha: str, engine: Engine
) -> None:
    """The answers are hashed after the unit of work that spends the key, still watched."""
    strict = with_policy(plain, lockout_failures=2)
    wrong = [(SET1, ANSWERS[SET1]), (SET2, "Colombo")]
    for _ in range(2):
        with pytest.raises(WrongAnswer):
            challenges.verify_answers(strict, caller, asha, shown_key(plain, caller, asha), wrong)
    assert audit_events(engine).count(("answers_checked", "failure", asha)) == 2
    with pytest.raises(RecoveryLocked):
        recovery.verify_user(strict, caller, asha, None)


def test_answers_are_compared_without_case_or_outer_space(
    plain: Services, caller: Caller, asha: str
) -> None:
    key = shown_key(plain, caller, asha)
    given = [(SET1, f"  {ANSWERS[SET1].upper()} "), (SET2, ANSWERS[SET2].lower())]
    assert challenges.verify_answers(plain, caller, asha, key, given).key


def test_duplicated_or_inconsistent_answers_never_count_twice(
    plain: Services, caller: Caller, asha: str
) -> None:
    key = shown_key(plain, caller, asha)
    with pytest.raises(WrongAnswer):
        challenges.verify_answers(
            plain, caller, asha, key, [(SET1, ANSWERS[SET1]), (SET1, ANSWERS[SET1])]
        )
    key = shown_key(plain, caller, asha)
    with pytest.raises(WrongAnswer):
        challenges.verify_answers(
            plain,
            caller,
            asha,
            key,
            [(SET1, ANSWERS[SET1]), (SET1, "other"), (SET2, ANSWERS[SET2])],
        )
    with pytest.raises(QuestionsMissing):
        challenges.verify_answers(plain, caller, asha, key, [])


def test_a_user_without_questions_is_told(plain: Services, caller: Caller, mail: Mail) -> None:
    confirmed_user(plain, caller, mail, "noq")
    started = recovery.verify_user(plain, caller, "noq", None)
    with pytest.raises(QuestionsMissing):
        challenges.question_ids(plain, caller, "noq", started.key)


def test_code_and_answers_mode_needs_both(
    plain: Services, caller: Caller, mail: Mail, asha: str
) -> None:
    both = with_policy(plain, code_and_answers_required=True)
    key = shown_key(both, caller, asha)
    answered = challenges.verify_answers(both, caller, asha, key, list(ANSWERS.items()))
    with pytest.raises(UpdateFailed, match="e-mailed code and every challenge answer"):
        recovery.update_password(both, caller, asha, answered.key, NEW_PASSWORD)
    started = recovery.verify_user(both, caller, asha, None)
    recovery.send_recovery_notification(both, caller, asha, started.key, "EMAIL")
    code = mail.last_code("asha@example.test")
    mailed = recovery.verify_confirmation_code(both, caller, asha, code, None).key
    shown = challenges.question_ids(both, caller, asha, mailed).key
    proved = challenges.verify_answers(both, caller, asha, shown, list(ANSWERS.items()))
    recovery.update_password(both, caller, asha, proved.key, NEW_PASSWORD)


def test_the_catalogue_is_the_tenants(plain: Services, caller: Caller) -> None:
    catalogue = challenges.all_questions(plain, caller)
    assert {q.set_id for q in catalogue} == {SET1, SET2}
    assert any(q.question == Q1 for q in catalogue)
