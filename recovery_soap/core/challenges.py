"""Recovery by challenge questions, one at a time or all at once, and the question catalogue.

Reading questions proves nothing: it yields a QUESTIONS_SHOWN key that updatePassword refuses.
Only right answers add to a key's proof; a wrong answer spends the key; an empty or duplicated
answer list never counts for more than the distinct questions it answers right.
"""

from __future__ import annotations

from collections.abc import Sequence

from recovery_soap.core import codes, guard, opening
from recovery_soap.core.errors import QuestionsMissing, WrongAnswer
from recovery_soap.core.model import (
    Caller,
    ChallengeAnswer,
    ChallengeIds,
    Permission,
    Question,
    Step,
    User,
    UserChallenge,
    UserChallenges,
    Verification,
)
from recovery_soap.core.passwords import normalise_answer
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.services import Services, require

NO_QUESTION_ID = "No challenge question id provided for verification"


def _answers_or_fail(uow: UnitOfWork, user: User | None, message: str) -> list[ChallengeAnswer]:
    answers = uow.users.answers(user) if user is not None else []
    if not answers:
        raise QuestionsMissing(message)
    return sorted(answers, key=lambda a: a.set_id)


def _answer_matches(
    env: Services, uow: UnitOfWork, user: User, stored: ChallengeAnswer | None, answer: str
) -> bool:
    """Check one answer. A right answer whose stored hash is outdated (an imported legacy digest,
    older argon2 parameters) is rehashed in the caller's unit of work, committed with it."""
    ok, new_hash = env.slow.verify_and_update(
        normalise_answer(answer), stored.answer_hash if stored else None
    )
    if ok and new_hash and stored is not None:
        uow.users.set_answer_hash(user, stored.set_id, new_hash)
    return ok


def _start(
    env: Services, caller: Caller, username: str | None, key: str | None, missing: str
) -> tuple[list[ChallengeAnswer], str, str]:
    """Spend the verifyUser key (or, for recovery_proof=code_and_answers, the key the mailed code
    gave) of a user who has questions; issue a QUESTIONS_SHOWN key carrying its proof so far."""
    guard.admit_check(env, caller)  # the caller's right was asked by the operation
    with opening.on_named_user(env, caller, "questions_shown", username) as on:
        uow, user, given = on.uow, on.user, on.given
        answers = _answers_or_fail(uow, user, f"{missing} : {given}")
        record = codes.redeem(
            env,
            uow,
            user,
            key,
            {Step.USER_VERIFIED, Step.CODE_CONFIRMED},
            f"Invalid confirmation code for user : {given}",
        )
        assert user is not None
        new_key = codes.issue(env, uow, user, Step.QUESTIONS_SHOWN, proof=record.proof)
        uow.commit()
    return answers, new_key, given


def question_ids(
    env: Services, caller: Caller, username: str | None, key: str | None
) -> ChallengeIds:
    require(caller, Permission.VIEW)
    answers, new_key, _ = _start(
        env, caller, username, key, "Error when getting user challenge questions for user"
    )
    return ChallengeIds(ids=tuple(a.set_id for a in answers), key=new_key)


def user_questions(
    env: Services, caller: Caller, username: str | None, key: str | None
) -> UserChallenges:
    require(caller, Permission.VIEW)
    answers, new_key, _ = _start(
        env, caller, username, key, "No associated challenge questions found for the user"
    )
    return UserChallenges(
        key=new_key,
        challenges=tuple(UserChallenge(set_id=a.set_id, question=a.question) for a in answers),
    )


def user_question(
    env: Services, caller: Caller, username: str | None, key: str | None, question_id: str | None
) -> UserChallenge:
    """Ask one question: spends a QUESTIONS_SHOWN or ANSWERED key, keeps its proof so far."""
    opening.admit(env, caller, Permission.VIEW)
    with opening.on_named_user(env, caller, "question_asked", username) as on:
        uow, user, given = on.uow, on.user, on.given
        invalid = f"Invalid confirmation code for user : {given}"
        record = codes.find(env, uow, user, key, {Step.QUESTIONS_SHOWN, Step.ANSWERED}, invalid)
        assert user is not None
        wanted = (question_id or "").strip()
        chosen = next((a for a in uow.users.answers(user) if a.set_id == wanted), None)
        if chosen is None:
            raise QuestionsMissing(f"Challenge question not found for user : {given}")
        codes.spend(env, uow, record, invalid)
        new_key = codes.issue(
            env, uow, user, Step.QUESTION_ASKED, proof=record.proof, subject=chosen.set_id
        )
        uow.commit()
    return UserChallenge(set_id=chosen.set_id, question=chosen.question, key=new_key)


def verify_answer(
    env: Services,
    caller: Caller,
    username: str | None,
    key: str | None,
    question_id: str | None,
    answer: str | None,
) -> Verification:
    """Check the answer to the question asked; a wrong one spends the key (no retries)."""
    require(caller, Permission.RECOVER)
    if not (question_id or "").strip() or not (answer or "").strip():
        raise QuestionsMissing(NO_QUESTION_ID)
    assert answer is not None
    guard.admit_check(env, caller)  # after the input's shape: a malformed request is not a check
    with opening.on_named_user(env, caller, "answer_checked", username) as on:
        uow, user, given = on.uow, on.user, on.given
        invalid = f"Invalid confirmation code for user : {given}"
        record = codes.redeem(env, uow, user, key, {Step.QUESTION_ASKED}, invalid)
        assert user is not None
        stored = {a.set_id: a for a in uow.users.answers(user)}.get(record.subject or "")
        right = (
            stored is not None
            and record.subject == (question_id or "").strip()
            and _answer_matches(env, uow, user, stored, answer)
        )
        if not right:
            uow.commit()  # the key stays spent
            raise WrongAnswer(f"Challenge answer verification failed for user : {given}")
        new_key = codes.issue(
            env, uow, user, Step.ANSWERED, proof=record.proof | {record.subject or ""}
        )
        uow.commit()
    return Verification(verified=True, user_id=given, key=new_key)


def _distinct_answers(
    answers: Sequence[tuple[str | None, str | None]],
) -> tuple[dict[str, str], bool]:
    """One answer per question id, and whether the list was consistent (a question answered twice
    with different texts is a wrong answer), so duplicates never cost a hash."""
    distinct: dict[str, str] = {}
    consistent = True
    for raw_id, raw_answer in answers:
        set_id, answer = (raw_id or "").strip(), raw_answer or ""
        if not set_id:
            continue
        if set_id in distinct:
            consistent = consistent and normalise_answer(distinct[set_id]) == normalise_answer(
                answer
            )
            continue
        distinct[set_id] = answer
    return distinct, consistent


def verify_answers(
    env: Services,
    caller: Caller,
    username: str | None,
    key: str | None,
    answers: Sequence[tuple[str | None, str | None]],
) -> Verification:
    """Check several answers at once; every answer given must be right and, by default, every
    question of the user answered. Duplicate ids count once; an empty list never verifies.

    The cost is bounded by the user's stored questions, whatever the request holds: answers are
    de-duplicated, unknown ids fail without a hash, and the hashes run between two short
    transactions (the key is spent in the first), never while the write lock is held.
    """
    require(caller, Permission.RECOVER)
    distinct, consistent = _distinct_answers(answers)
    if not distinct:
        raise QuestionsMissing(NO_QUESTION_ID)
    guard.admit_check(env, caller)  # after the input's shape: a malformed request is not a check
    with opening.on_named_user(env, caller, "answers_checked", username) as on:
        uow, user, given = on.uow, on.user, on.given
        invalid = f"Invalid confirmation code for user : {given}"
        shown = codes.redeem(env, uow, user, key, {Step.QUESTIONS_SHOWN}, invalid)
        assert user is not None
        stored = {a.set_id: a for a in uow.users.answers(user)}
        uow.commit()  # the key is spent whatever the answers turn out to be
    # Still watched: a wrong answer below is audited and counted like one above.
    with guard.watch(env, caller, "answers_checked", on.seen):
        wrong = f"Verification failed for one or more answers provided by user : {given}"
        if not (stored and consistent and set(distinct) <= set(stored)):
            raise WrongAnswer(wrong)
        proved, rehashed = _check_answers(env, stored, distinct)
        enough = proved == set(stored) or (not env.policy.all_answers_required and proved)
        if proved != set(distinct) or not enough:
            raise WrongAnswer(wrong)
        with env.uow() as uow:
            for set_id, new_hash in rehashed.items():
                uow.users.set_answer_hash(user, set_id, new_hash)
            new_key = codes.issue(env, uow, user, Step.ANSWERED, proof=shown.proof | proved)
            uow.commit()
    return Verification(verified=True, user_id=given, key=new_key)


def _check_answers(
    env: Services, stored: dict[str, ChallengeAnswer], distinct: dict[str, str]
) -> tuple[set[str], dict[str, str]]:
    """The question ids answered right (one hash each, every one checked so that the time
    tells nothing about which answer was wrong), and the new hashes of outdated right ones."""
    proved: set[str] = set()
    rehashed: dict[str, str] = {}
    for set_id, answer in distinct.items():
        ok, new_hash = env.slow.verify_and_update(
            normalise_answer(answer), stored[set_id].answer_hash
        )
        if ok and answer.strip():
            proved.add(set_id)
            if new_hash:
                rehashed[set_id] = new_hash
    return proved, rehashed


def all_questions(env: Services, caller: Caller) -> list[Question]:
    """The question catalogue of the caller's tenant (any authenticated caller)."""
    with env.uow(readonly=True) as uow:
        return uow.questions.for_tenant(caller.tenant)


def hash_answers(
    env: Services, uow: UnitOfWork, user: User, chosen: Sequence[tuple[str, str, str]]
) -> list[ChallengeAnswer]:
    """Validate (set id, question, answer) triples against the tenant's catalogue and hash them."""
    if not chosen:
        return []
    catalogue = uow.questions.for_tenant(user.tenant)
    result: dict[str, ChallengeAnswer] = {}
    for set_id, question, answer in chosen:
        if not any(q.set_id == set_id and q.question == question for q in catalogue):
            raise QuestionsMissing(f"Challenge question not found: {set_id} {question}")
        if not answer.strip():
            raise QuestionsMissing(f"Challenge question without an answer: {set_id}")
        result[set_id] = ChallengeAnswer(
            set_id=set_id, question=question, answer_hash=env.slow.hash(normalise_answer(answer))
        )
    return list(result.values())


def set_answers(
    env: Services, uow: UnitOfWork, user: User, chosen: Sequence[tuple[str, str, str]]
) -> None:
    uow.users.set_answers(user, hash_answers(env, uow, user, chosen))
