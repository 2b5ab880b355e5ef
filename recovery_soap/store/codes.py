"""Recovery and confirmation codes: stored as a hash with their step, proof and expiry, spent
by one atomic UPDATE."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from recovery_soap.core.model import CodeRecord, NewCode, Purpose, Step
from recovery_soap.store.base import Repository, codes_t
from recovery_soap.store.write_behind import opens_transaction, write_behind

PROOF_SEPARATOR = "\n"


def code_from_row(row: Any) -> CodeRecord:
    """A codes row as the core's CodeRecord."""
    return CodeRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        user_id=row.user_id,
        step=Step(row.step),
        expires_at=row.expires_at,
        used_at=row.used_at,
        proof=frozenset(p for p in row.proof.split(PROOF_SEPARATOR) if p),
        subject=row.subject,
        message_id=row.message_id,
    )


CODE_VALUES = (
    "tenant_id",
    "user_id",
    "purpose",
    "step",
    "code_hash",
    "proof",
    "subject",
    "created_at",
    "expires_at",
)
# Parameter names differ from the column names: an UPDATE given a parameter named like a column
# would also SET that column (here, in the CTE below, every column of the spent codes).
# write_behind (hook, store/write_behind.py): PostgreSQL may send these with the COMMIT.
ADD_CODE = write_behind(
    insert(codes_t).values({name: bindparam(f"new_{name}") for name in CODE_VALUES})
)
SPEND_LIVE = write_behind(
    update(codes_t)
    .where(
        codes_t.c.user_id == bindparam("spend_user"),
        codes_t.c.purpose == bindparam("spend_purpose"),
        codes_t.c.used_at.is_(None),
    )
    .values(used_at=bindparam("spend_at"))
)
#: PostgreSQL: spend the live codes and add the new one in one statement (a data-modifying CTE
#: sees the snapshot from before the insert, so the new code is never spent with the others).
REPLACE_CODE = ADD_CODE.add_cte(SPEND_LIVE.cte("spent"))
_LINK_MESSAGE = write_behind(
    update(codes_t)
    .where(codes_t.c.code_hash == bindparam("link_hash"))
    .values(message_id=bindparam("link_message"))
)
#: Its row count decides (a code is spent once); on PostgreSQL it may carry BEGIN with it.
_CONSUME = opens_transaction(
    update(codes_t)
    .where(codes_t.c.id == bindparam("consume_id"), codes_t.c.used_at.is_(None))
    .values(used_at=bindparam("consume_at"))
)
CODE_BY_HASH = select(codes_t).where(codes_t.c.code_hash == bindparam("code_hash"))


def code_values(code: NewCode) -> dict[str, Any]:
    """The parameters of ADD_CODE for a new code."""
    return {
        "new_tenant_id": code.tenant_id,
        "new_user_id": code.user_id,
        "new_purpose": code.step.purpose.value,
        "new_step": code.step.value,
        "new_code_hash": code.code_hash,
        "new_proof": PROOF_SEPARATOR.join(sorted(code.proof)),
        "new_subject": code.subject,
        "new_created_at": code.created_at,
        "new_expires_at": code.expires_at,
    }


class CodeRepository(Repository):
    def add(self, code: NewCode) -> None:
        self._c.execute(ADD_CODE, code_values(code))

    def replace(self, code: NewCode) -> None:
        """Spend the user's unused codes of the code's purpose and store this one."""
        spend = {
            "spend_user": code.user_id,
            "spend_purpose": code.step.purpose.value,
            "spend_at": code.created_at,
        }
        if self._c.dialect.name == "postgresql":
            self._c.execute(REPLACE_CODE, {**code_values(code), **spend})
            return
        self._c.execute(SPEND_LIVE, spend)
        self._c.execute(ADD_CODE, code_values(code))

    def find(self, code_hash: str) -> tuple[CodeRecord, str] | None:
        row = self._c.execute(CODE_BY_HASH, {"code_hash": code_hash}).first()
        return (code_from_row(row), row.code_hash) if row is not None else None

    def live(self, user_id: int, purpose: Purpose, now: datetime) -> CodeRecord | None:
        row = self._c.execute(
            select(codes_t)
            .where(
                codes_t.c.user_id == user_id,
                codes_t.c.purpose == purpose.value,
                codes_t.c.used_at.is_(None),
                codes_t.c.expires_at > now,
            )
            .order_by(codes_t.c.id.desc())
            .limit(1)
        ).first()
        return code_from_row(row) if row is not None else None

    def link_message(self, code_hash: str, message_id: int) -> None:
        self._c.execute(_LINK_MESSAGE, {"link_hash": code_hash, "link_message": message_id})

    def consume(self, record_id: int, now: datetime) -> bool:
        result = self._c.execute(_CONSUME, {"consume_id": record_id, "consume_at": now})
        return result.rowcount == 1

    def spend_all(self, user_id: int, purpose: Purpose, now: datetime) -> None:
        self._c.execute(
            SPEND_LIVE, {"spend_user": user_id, "spend_purpose": purpose.value, "spend_at": now}
        )
