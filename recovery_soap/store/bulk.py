"""Reading users many at a time (import and export): IN lists in chunks, and the claims and
answers of a page of users in two queries per chunk, whatever the page's size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ARRAY, Connection, any_, bindparam, select

from recovery_soap.core.model import ChallengeAnswer
from recovery_soap.store.base import answers_t, claims_t

#: Values per IN (...) list (SQLite's old limit is 999 bound parameters).
CHUNK = 500


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def among(connection: Connection, column: Any, values: Sequence[Any]) -> Any:
    """``column IN values``: one array parameter on PostgreSQL (a statement the server and
    driver parse once), an IN list elsewhere."""
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def claims_and_answers(
    connection: Connection, user_ids: Sequence[int]
) -> tuple[dict[int, dict[str, str]], dict[int, dict[str, ChallengeAnswer]]]:
    """The claims (by URI) and challenge answers (by set id) of these users, by user id."""
    claims: dict[int, dict[str, str]] = defaultdict(dict)
    answers: dict[int, dict[str, ChallengeAnswer]] = defaultdict(dict)
    for chunk in chunks(user_ids):
        for user_id, uri, value in connection.execute(
            select(claims_t.c.user_id, claims_t.c.claim_uri, claims_t.c.value).where(
                among(connection, claims_t.c.user_id, chunk)
            )
        ).all():
            claims[user_id][uri] = value
        for user_id, set_id, question, answer_hash in connection.execute(
            select(
                answers_t.c.user_id,
                answers_t.c.set_id,
                answers_t.c.question,
                answers_t.c.answer_hash,
            ).where(among(connection, answers_t.c.user_id, chunk))
        ).all():
            answers[user_id][set_id] = ChallengeAnswer(set_id, question, answer_hash)
    return claims, answers
