"""Password recovery by challenge questions, one at a time and all at once, with regression tests
for the legacy flaws (CVE-2024-6914, duplicate answers, one answer of two, unlimited guessing)."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer, unique
from tests.soap.flows import Q1, Q2, SET1, SET2, confirmed_user, start_recovery

NEW_PASSWORD = "Brand#New456"
RIGHT = [{"id": SET1, "answer": "Colombo"}, {"id": SET2, "answer": "Cricket"}]


@pytest.fixture(params=[False, True], ids=["soap11", "soap12"])
def service(request: pytest.FixtureRequest, live: LiveServer):
    return live.client(soap12=request.param)


def questions_key(live: LiveServer, service, name: str) -> str:
    """verifyUser -> getUserChallengeQuestions: the key for verifyUserChallengeAnswers."""
    bean = service.getUserChallengeQuestions(
        userName=name, confirmation=start_recovery(live, service, name)
    )
    assert bean.key, bean.error
    return str(bean.key)


def ids_key(live: LiveServer, service, name: str) -> str:
    """verifyUser -> getUserChallengeQuestionIds: the key for getUserChallengeQuestion."""
    bean = service.getUserChallengeQuestionIds(
        username=name, confirmation=start_recovery(live, service, name)
    )
    assert bean.key, bean.error
    return str(bean.key)


def asked_key(service, name: str, key: str, question_id: str) -> str:
    bean = service.getUserChallengeQuestion(userName=name, confirmation=key, questionId=question_id)
    assert bean.key, bean.error
    return str(bean.key)


def answered_key(service, name: str, key: str, question_id: str, answer: str) -> str:
    bean = service.verifyUserChallengeAnswer(
        userName=name, confirmation=key, questionId=question_id, answer=answer
    )
    assert bean.verified and bean.key, bean.error
    return str(bean.key)


def update(service, name: str, key: str | None):
    return service.updatePassword(username=name, confirmationCode=key, newPassword=NEW_PASSWORD)


def refused_update(name: str) -> str:
    return f"Error while updating credential for user: {name}"


def test_one_question_at_a_time_resets_the_password(live: LiveServer, service) -> None:
    name = confirmed_user(live, service, answers=True)
    key = start_recovery(live, service, name)
    ids = service.getUserChallengeQuestionIds(username=name, confirmation=key)
    assert ids.error is None
    assert ids.ids == [SET1, SET2]
    first = service.getUserChallengeQuestion(userName=name, confirmation=ids.key, questionId=SET1)
    assert (first.id, first.question, first.verfied, first.error) == (SET1, Q1, True, None)
    assert first.answer is None  # neither the answer nor its hash ever leaves the server
    bean = service.verifyUserChallengeAnswer(
        userName=name, confirmation=first.key, questionId=SET1, answer="Colombo"
    )
    assert bean.verified and bean.key and bean.error is None
    assert bean.userId == name
    second = service.getUserChallengeQuestion(userName=name, confirmation=bean.key, questionId=SET2)
    assert (second.id, second.question, second.answer) == (SET2, Q2, None)
    key30 = answered_key(service, name, second.key, SET2, "Cricket")
    bean = update(service, name, key30)
    assert bean.verified and bean.error is None


def test_all_questions_at_once_reset_the_password(live: LiveServer, service) -> None:
    name = confirmed_user(live, service, answers=True)
    key = start_recovery(live, service, name)
    questions = service.getUserChallengeQuestions(userName=name, confirmation=key)
    assert questions.error is None and questions.key
    assert [(q.id, q.question) for q in questions.userChallengesDTOs] == [(SET1, Q1), (SET2, Q2)]
    assert all(q.answer is None for q in questions.userChallengesDTOs)
    bean = service.verifyUserChallengeAnswers(
        userName=name, confirmation=questions.key, userChallengesDTOs=RIGHT
    )
    assert bean.verified and bean.key and bean.error is None
    assert update(service, name, bean.key).verified


def test_recovery_key_is_single_use_and_ends_the_recovery(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    bean = service.verifyUserChallengeAnswers(
        userName=name, confirmation=questions_key(live, service, name), userChallengesDTOs=RIGHT
    )
    assert update(service, name, bean.key).verified
    again = update(service, name, bean.key)
    assert not again.verified
    assert again.error == f"18001 {refused_update(name)}"


def test_a_newer_recovery_ends_the_older_one(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    first = service.verifyUserChallengeAnswers(
        userName=name, confirmation=questions_key(live, service, name), userChallengesDTOs=RIGHT
    )
    second = service.verifyUserChallengeAnswers(
        userName=name, confirmation=questions_key(live, service, name), userChallengesDTOs=RIGHT
    )
    assert first.verified and second.verified
    # At most one live recovery code per user: starting again spent the first flow's key.
    assert update(service, name, first.key).error == f"18001 {refused_update(name)}"
    assert update(service, name, second.key).verified


def test_password_change_spends_the_recovery_keys(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    answered = service.verifyUserChallengeAnswers(
        userName=name, confirmation=questions_key(live, service, name), userChallengesDTOs=RIGHT
    )
    assert update(service, name, answered.key).verified
    assert update(service, name, answered.key).error == f"18001 {refused_update(name)}"
    bean = service.getUserChallengeQuestion(
        userName=name, confirmation=answered.key, questionId=SET1
    )
    assert bean.key is None and bean.error.startswith("18001 ")


@pytest.mark.parametrize("city", ["  Colombo  ", "COLOMBO", "colombo", "\tcOlOmBo\n"])
def test_answers_compare_trimmed_and_case_insensitively(live: LiveServer, city) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    bean = service.verifyUserChallengeAnswers(
        userName=name,
        confirmation=questions_key(live, service, name),
        userChallengesDTOs=[{"id": SET1, "answer": city}, {"id": SET2, "answer": " cricket"}],
    )
    assert bean.verified, bean.error
    key40 = asked_key(service, name, ids_key(live, service, name), SET1)
    assert answered_key(service, name, key40, SET1, city)


@pytest.mark.parametrize("city", ["Colomb", "Colombo 7", "Kandy", "C olombo"])
def test_near_miss_answer_is_wrong(live: LiveServer, city) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    bean = service.verifyUserChallengeAnswers(
        userName=name,
        confirmation=questions_key(live, service, name),
        userChallengesDTOs=[{"id": SET1, "answer": city}, {"id": SET2, "answer": "Cricket"}],
    )
    assert not bean.verified and bean.key is None


# --- CVE-2024-6914: a user without questions -------------------------------------------------


def test_user_without_questions_gets_no_questions_key(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service)
    bean = service.getUserChallengeQuestions(
        userName=name, confirmation=start_recovery(live, service, name)
    )
    assert bean.key is None and not bean.userChallengesDTOs
    assert bean.error == f"18016 No associated challenge questions found for the user : {name}"
    ids = service.getUserChallengeQuestionIds(
        username=name, confirmation=start_recovery(live, service, name)
    )
    assert ids.key is None and not ids.ids
    assert ids.error == f"18016 Error when getting user challenge questions for user : {name}"


@pytest.mark.parametrize(
    "answers",
    [
        [],
        [{"id": SET1, "answer": "anything"}],
        [{"id": SET1}],
        [{"id": "http://wso2.org/claims/challengeQuestion9", "answer": "x"}],
    ],
    ids=["empty", "unknown-answer", "no-answer", "unknown-set"],
)
def test_user_without_questions_never_gets_a_password_key(live: LiveServer, answers) -> None:
    service = live.client()
    name = confirmed_user(live, service)
    key1 = start_recovery(live, service, name)
    shown = service.getUserChallengeQuestions(userName=name, confirmation=key1)
    # The attack of CVE-2024-6914, with every key the attacker can come by.
    for key in [k for k in (shown.key, key1, start_recovery(live, service, name)) if k]:
        bean = service.verifyUserChallengeAnswers(
            userName=name, confirmation=key, userChallengesDTOs=answers
        )
        assert not bean.verified and bean.key is None
        assert not update(service, name, key).verified


def test_empty_answer_list_is_refused(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    key = questions_key(live, service, name)
    bean = service.verifyUserChallengeAnswers(
        userName=name, confirmation=key, userChallengesDTOs=[]
    )
    assert not bean.verified and bean.key is None
    assert bean.error == "18016 No challenge question id provided for verification"
    # Nothing was checked, so the key still serves a real attempt.
    bean = service.verifyUserChallengeAnswers(
        userName=name, confirmation=key, userChallengesDTOs=RIGHT
    )
    assert bean.verified, bean.error


def test_unknown_question_ids_are_refused(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    bean = service.verifyUserChallengeAnswers(
        userName=name,
        confirmation=questions_key(live, service, name),
        userChallengesDTOs=[{"id": "http://wso2.org/claims/challengeQuestion9", "answer": "x"}],
    )
    assert not bean.verified and bean.key is None
    assert bean.error == (
        f"17002 Verification failed for one or more answers provided by user : {name}"
    )


# --- counting answers --------------------------------------------------------------------------


def test_duplicate_answers_count_once(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    twice = [{"id": SET1, "answer": "Colombo"}, {"id": SET1, "answer": "Colombo"}]
    bean = service.verifyUserChallengeAnswers(
        userName=name, confirmation=questions_key(live, service, name), userChallengesDTOs=twice
    )
    assert not bean.verified and bean.key is None
    assert bean.error.startswith("17002 Verification failed")


def test_one_right_answer_of_two_is_not_enough(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    bean = service.verifyUserChallengeAnswers(
        userName=name, confirmation=questions_key(live, service, name), userChallengesDTOs=RIGHT[:1]
    )
    assert not bean.verified and bean.key is None
    # One at a time: the key after the first answer goes on to the next question, no further.
    key30 = answered_key(
        service, name, asked_key(service, name, ids_key(live, service, name), SET1), SET1, "Colombo"
    )
    bean = update(service, name, key30)
    assert not bean.verified
    assert bean.error == (
        f"18013 {refused_update(name)}. Every challenge question must be answered first."
    )
    # The refused attempt did not spend it.
    key30 = answered_key(service, name, asked_key(service, name, key30, SET2), SET2, "Cricket")
    assert update(service, name, key30).verified


def test_the_same_question_answered_twice_is_not_enough(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    key30 = answered_key(
        service, name, asked_key(service, name, ids_key(live, service, name), SET1), SET1, "Colombo"
    )
    key30 = answered_key(service, name, asked_key(service, name, key30, SET1), SET1, "Colombo")
    assert not update(service, name, key30).verified


def test_one_right_answer_suffices_in_legacy_compatibility_mode(serve) -> None:
    live = serve(challenge_answers_required="one")
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    bean = service.verifyUserChallengeAnswers(
        userName=name, confirmation=questions_key(live, service, name), userChallengesDTOs=RIGHT[1:]
    )
    assert bean.verified, bean.error
    assert update(service, name, bean.key).verified
    key30 = answered_key(
        service, name, asked_key(service, name, ids_key(live, service, name), SET1), SET1, "Colombo"
    )
    assert update(service, name, key30).verified


def test_a_wrong_answer_fails_even_in_legacy_compatibility_mode(serve) -> None:
    live = serve(challenge_answers_required="one")
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    mixed = [{"id": SET1, "answer": "Colombo"}, {"id": SET2, "answer": "Football"}]
    bean = service.verifyUserChallengeAnswers(
        userName=name, confirmation=questions_key(live, service, name), userChallengesDTOs=mixed
    )
    assert not bean.verified and bean.key is None


# --- keys that prove nothing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "shown",
    [ids_key, questions_key],
    ids=["getUserChallengeQuestionIds", "getUserChallengeQuestions"],
)
def test_looking_at_questions_never_allows_a_password_change(live: LiveServer, shown) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    bean = update(service, name, shown(live, service, name))
    assert not bean.verified
    assert bean.error == f"18001 {refused_update(name)}"


def test_asking_a_question_never_allows_a_password_change(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    key40 = asked_key(service, name, ids_key(live, service, name), SET1)
    bean = update(service, name, key40)
    assert not bean.verified
    assert bean.error == f"18001 {refused_update(name)}"


def test_keys_of_the_questions_flows_are_bound_to_their_user(live: LiveServer) -> None:
    service = live.client()
    victim = confirmed_user(live, service, answers=True)
    attacker = confirmed_user(live, service, answers=True)
    bean = service.verifyUserChallengeAnswers(
        userName=attacker,
        confirmation=questions_key(live, service, attacker),
        userChallengesDTOs=RIGHT,
    )
    assert update(service, victim, bean.key).error == f"18001 {refused_update(victim)}"
    key20 = questions_key(live, service, attacker)
    bean = service.verifyUserChallengeAnswers(
        userName=victim, confirmation=key20, userChallengesDTOs=RIGHT
    )
    assert not bean.verified and bean.key is None


# --- guessing ---------------------------------------------------------------------------------


def test_a_wrong_answer_spends_the_question_key(live: LiveServer, service) -> None:
    name = confirmed_user(live, service, answers=True)
    key20 = ids_key(live, service, name)
    key40 = asked_key(service, name, key20, SET1)
    bean = service.verifyUserChallengeAnswer(
        userName=name, confirmation=key40, questionId=SET1, answer="Kandy"
    )
    assert not bean.verified and bean.key is None
    assert bean.error == f"17002 Challenge answer verification failed for user : {name}"
    retry = service.verifyUserChallengeAnswer(
        userName=name, confirmation=key40, questionId=SET1, answer="Colombo"
    )
    assert not retry.verified and retry.key is None
    assert retry.error == f"18001 Invalid confirmation code for user : {name}"
    # Nor does the key the question was asked with yield a fresh question key.
    again = service.getUserChallengeQuestion(userName=name, confirmation=key20, questionId=SET1)
    assert again.key is None
    assert again.error == f"18001 Invalid confirmation code for user : {name}"


def test_a_wrong_answer_spends_the_answers_key(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    key20 = questions_key(live, service, name)
    wrong = [{"id": SET1, "answer": "Kandy"}, {"id": SET2, "answer": "Cricket"}]
    assert not service.verifyUserChallengeAnswers(
        userName=name, confirmation=key20, userChallengesDTOs=wrong
    ).verified
    retry = service.verifyUserChallengeAnswers(
        userName=name, confirmation=key20, userChallengesDTOs=RIGHT
    )
    assert not retry.verified and retry.key is None
    assert retry.error == f"18001 Invalid confirmation code for user : {name}"


def test_the_answer_must_be_to_the_question_asked(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    key40 = asked_key(service, name, ids_key(live, service, name), SET1)
    bean = service.verifyUserChallengeAnswer(
        userName=name, confirmation=key40, questionId=SET2, answer="Cricket"
    )
    assert not bean.verified and bean.key is None
    assert bean.error.startswith("17002 Challenge answer verification failed")


@pytest.mark.parametrize(
    ("question_id", "answer"),
    [(SET1, ""), (SET1, "   "), ("", "Colombo")],
    ids=["empty-answer", "blank-answer", "no-question-id"],
)
def test_answer_without_content_is_refused(live: LiveServer, question_id, answer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    key40 = asked_key(service, name, ids_key(live, service, name), SET1)
    bean = service.verifyUserChallengeAnswer(
        userName=name, confirmation=key40, questionId=question_id, answer=answer
    )
    assert not bean.verified and bean.key is None
    assert bean.error == "18016 No challenge question id provided for verification"


def test_unknown_question_id_is_reported(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    key20 = ids_key(live, service, name)
    bean = service.getUserChallengeQuestion(
        userName=name, confirmation=key20, questionId="http://wso2.org/claims/challengeQuestion9"
    )
    assert bean.key is None and bean.verfied is False and bean.question is None
    assert bean.error == f"18016 Challenge question not found for user : {name}"
    # The key was not spent on a question that does not exist.
    assert asked_key(service, name, key20, SET1)


def test_question_key_from_verify_user_is_refused(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    key1 = start_recovery(live, service, name)
    bean = service.getUserChallengeQuestion(userName=name, confirmation=key1, questionId=SET1)
    assert bean.key is None
    assert bean.error == f"18001 Invalid confirmation code for user : {name}"


def test_unknown_user_has_no_questions(live: LiveServer) -> None:
    service = live.client()
    ghost = unique("ghost")
    bean = service.getUserChallengeQuestions(
        userName=ghost, confirmation="00000000-0000-0000-0000-000000000000"
    )
    assert bean.key is None
    assert bean.error.startswith("18016 ")


def test_expired_question_key_reports_18002(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    key40 = asked_key(service, name, ids_key(live, service, name), SET1)
    live.clock.advance(minutes=11)
    bean = service.verifyUserChallengeAnswer(
        userName=name, confirmation=key40, questionId=SET1, answer="Colombo"
    )
    assert not bean.verified and bean.key is None
    assert bean.error.startswith("18002 ")


# --- bounded cost ------------------------------------------------------------------------------


class CountingHasher:
    """Wraps the service's slow hasher and counts the answer verifications it is asked for."""

    def __init__(self, live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.in_transaction = 0
        self._pool = live.app.engine.pool
        self._verify = live.app.env.slow.verify_and_update
        monkeypatch.setattr(live.app.env.slow, "verify_and_update", self)

    def __call__(self, secret: str, hashed: str | None) -> tuple[bool, str | None]:
        self.calls += 1
        # One request at a time in these tests: a connection checked out is its open transaction.
        self.in_transaction += self._pool.checkedout() > 0
        return self._verify(secret, hashed)


@pytest.mark.parametrize("right", [True, False], ids=["right-answers", "wrong-answers"])
def test_many_answers_cost_at_most_one_hash_per_stored_question(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch, right: bool
) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    key = questions_key(live, service, name)
    city, sport = ("Colombo", "Cricket") if right else ("Paris", "Tennis")
    many = [{"id": SET1, "answer": city}, {"id": SET2, "answer": sport}] * 30
    many += [
        {"id": f"http://wso2.org/claims/challengeQuestion{i}", "answer": "x"} for i in range(40)
    ]
    assert len(many) == 100
    hashes = CountingHasher(live, monkeypatch)
    bean = service.verifyUserChallengeAnswers(
        userName=name, confirmation=key, userChallengesDTOs=many
    )
    assert not bean.verified  # unknown ids among the answers: refused either way
    assert hashes.calls <= 2
    assert hashes.in_transaction == 0


def test_duplicate_right_answers_still_verify_with_one_hash_each(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    key = questions_key(live, service, name)
    hashes = CountingHasher(live, monkeypatch)
    bean = service.verifyUserChallengeAnswers(
        userName=name, confirmation=key, userChallengesDTOs=RIGHT * 50
    )
    assert bean.verified and bean.key, bean.error
    assert (hashes.calls, hashes.in_transaction) == (2, 0)
    assert update(service, name, bean.key).verified


def test_a_duplicate_with_another_answer_fails(live: LiveServer) -> None:
    service = live.client()
    name = confirmed_user(live, service, answers=True)
    key = questions_key(live, service, name)
    bean = service.verifyUserChallengeAnswers(
        userName=name,
        confirmation=key,
        userChallengesDTOs=[*RIGHT, {"id": SET1, "answer": "Kandy"}],
    )
    assert not bean.verified and bean.key is None
