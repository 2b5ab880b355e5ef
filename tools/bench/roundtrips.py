"""The measuring pass: each SOAP operation of the scenarios called a few times against one worker
serving tools.bench.counting, which reports the statements and round trips each call cost."""

from __future__ import annotations

import http.client
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from tools.bench.envelopes import (
    DTO_NS,
    NEW_PASSWORD,
    QUESTIONS_BODY,
    SERVICE_PATH,
    SUPER_TENANT,
    el,
    envelope,
    excerpt,
    register_body,
    user_name,
    verify_user_body,
)
from tools.bench.tracing import ROUND_TRIPS_HEADER, STATEMENTS_HEADER

SET1 = "http://wso2.org/claims/challengeQuestion1"
SET2 = "http://wso2.org/claims/challengeQuestion2"
ANSWERS = [(SET1, "City where you were born ?", "Colombo"), (SET2, "Favorite sport ?", "Cricket")]
#: The operations in the order the table lists them.
OPERATIONS = (
    "getAllChallengeQuestions",
    "verifyUser",
    "sendRecoveryNotification",
    "verifyConfirmationCode",
    "updatePassword",
    "registerUser",
    "confirmUserSelfRegistration",
    "getUserChallengeQuestionIds",
    "getUserChallengeQuestion",
    "verifyUserChallengeAnswer",
    "getUserChallengeQuestions",
    "verifyUserChallengeAnswers",
)
_VALUE = re.compile(rb"<(?:[\w.-]+:)?(key|notificationCode)>([^<]+)</")


class StepFailed(Exception):
    """A call of the measuring pass did not succeed; its chain stops there."""


@dataclass
class Counts:
    """Per operation, the statements and round trips of each measured call."""

    statements: dict[str, list[int]] = field(default_factory=dict)
    round_trips: dict[str, list[int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


class CountingClient:
    def __init__(self, port: int, auth: str, counts: Counts) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.auth, self.counts, self.record = auth, counts, True

    def call(self, operation: str, body: str, want: bytes | None = b"key") -> str:
        """Post one envelope; the key (or notification code) of a verified answer."""
        headers = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'}
        self.connection.request(
            "POST",
            SERVICE_PATH,
            body=body.encode(),
            headers={**headers, "Authorization": self.auth},
        )
        answer = self.connection.getresponse()
        data = answer.read()
        if self.record:
            for name, store in (
                (STATEMENTS_HEADER, self.counts.statements),
                (ROUND_TRIPS_HEADER, self.counts.round_trips),
            ):
                store.setdefault(operation, []).append(int(answer.getheader(name) or -1))
        if answer.status != 200 or b"Fault>" in data or b"error>" in data:
            raise StepFailed(f"{operation} {answer.status}: {excerpt(data)}")
        if want is None:
            return ""
        found: dict[bytes, bytes] = dict(_VALUE.findall(data))
        if want not in found:
            raise StepFailed(f"{operation}: no {want.decode()} in {excerpt(data)}")
        return found[want].decode()


def questions(client: CountingClient, _name: str) -> None:
    client.call("getAllChallengeQuestions", QUESTIONS_BODY, None)


def recovery_flow(client: CountingClient, name: str) -> None:
    key = client.call("verifyUser", verify_user_body(name))
    code = client.call(
        "sendRecoveryNotification",
        envelope(
            "sendRecoveryNotification",
            el("username", name) + el("key", key) + el("notificationType", "EMAIL"),
        ),
        b"notificationCode",
    )
    key = client.call(
        "verifyConfirmationCode",
        envelope("verifyConfirmationCode", el("username", name) + el("code", code)),
    )
    inner = el("username", name) + el("confirmationCode", key) + el("newPassword", NEW_PASSWORD)
    client.call("updatePassword", envelope("updatePassword", inner), None)


def registration(client: CountingClient, name: str) -> None:
    """A user with two answered questions, confirmed (captcha off, external notifications)."""
    answers = [(uri, f"{question}!{answer}") for uri, question, answer in ANSWERS]
    code = client.call("registerUser", register_body(name, answers), b"notificationCode")
    inner = el("username", name) + el("code", code) + el("tenantDomain", SUPER_TENANT)
    client.call("confirmUserSelfRegistration", envelope("confirmUserSelfRegistration", inner), None)


def one_answer(client: CountingClient, name: str) -> None:
    key = client.call("verifyUser", verify_user_body(name))
    ids = envelope("getUserChallengeQuestionIds", el("username", name) + el("confirmation", key))
    key = client.call("getUserChallengeQuestionIds", ids)
    who = el("userName", name)
    asked = envelope(
        "getUserChallengeQuestion", who + el("confirmation", key) + el("questionId", SET1)
    )
    key = client.call("getUserChallengeQuestion", asked)
    answer = who + el("confirmation", key) + el("questionId", SET1) + el("answer", ANSWERS[0][2])
    client.call("verifyUserChallengeAnswer", envelope("verifyUserChallengeAnswer", answer))


def all_answers(client: CountingClient, name: str) -> None:
    key = client.call("verifyUser", verify_user_body(name))
    who = el("userName", name)
    asked = envelope("getUserChallengeQuestions", who + el("confirmation", key))
    key = client.call("getUserChallengeQuestions", asked)
    dtos = "".join(
        f'<ser:userChallengesDTOs><dto:answer xmlns:dto="{DTO_NS}">{answer}</dto:answer>'
        f'<dto:id xmlns:dto="{DTO_NS}">{uri}</dto:id></ser:userChallengesDTOs>'
        for uri, _, answer in ANSWERS
    )
    body = envelope("verifyUserChallengeAnswers", who + el("confirmation", key) + dtos)
    client.call("verifyUserChallengeAnswers", body)


def count_round_trips(port: int, auth: str, run_id: str, calls: int = 3) -> Counts:
    """One unrecorded warm-up pass, then ``calls`` recorded passes over every operation."""
    counts = Counts()
    client = CountingClient(port, auth, counts)
    for index in range(calls + 1):
        client.record = index > 0
        name = f"rt{run_id}-{index}"
        chains: tuple[tuple[str, Callable[[CountingClient, str], None], str], ...] = (
            ("getAllChallengeQuestions", questions, name),
            ("recovery flow", recovery_flow, user_name(index + 1)),  # a seeded user
            ("registration", registration, name),  # a new user, with answers
            ("one answer", one_answer, name),
            ("all answers", all_answers, name),
        )
        for chain, run, user in chains:
            try:
                run(client, user)
            except (StepFailed, OSError, http.client.HTTPException) as error:
                counts.problems.append(f"{chain}: {error}")
                client.connection.close()
    return counts


def summary(counts: Counts) -> list[dict[str, object]]:
    """Per operation: the median of the measured calls, with their range."""
    rows: list[dict[str, object]] = []
    for operation in OPERATIONS:
        trips = counts.round_trips.get(operation)
        statements = counts.statements.get(operation)
        if not trips or not statements:
            continue
        rows.append(
            {
                "operation": operation,
                "calls": len(trips),
                "round_trips": statistics.median(trips),
                "round_trips_range": [min(trips), max(trips)],
                "statements": statistics.median(statements),
                "statements_range": [min(statements), max(statements)],
            }
        )
    return rows
