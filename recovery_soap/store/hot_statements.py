"""The statements of the hot lookups, with sample values, for tools that show their query plans
(the benchmark explains them; nothing here runs them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.sql import Executable

from recovery_soap.store.codes import CODE_BY_HASH, CODE_VALUES, REPLACE_CODE, SPEND_LIVE
from recovery_soap.store.questions import QUESTIONS_OF_TENANT
from recovery_soap.store.users import USER_BY_NAME


def hot_statements(
    dialect: str, *, tenant_id: int, user_name: str, code_hash: str, now: datetime
) -> dict[str, tuple[Executable, dict[str, Any]]]:
    """What verifyUser and getAllChallengeQuestions run on ``dialect``, named by their purpose,
    each with values for its parameters."""
    spend = {"spend_user": 1, "spend_purpose": "recovery", "spend_at": now}
    new_code = {f"new_{name}": None for name in CODE_VALUES} | {
        "new_tenant_id": tenant_id,
        "new_user_id": 1,
        "new_purpose": "recovery",
        "new_step": "user_verified",
        "new_code_hash": "f" * 64,
        "new_proof": "",
        "new_created_at": now,
        "new_expires_at": now,
    }
    replace: tuple[Executable, dict[str, Any]] = (
        (REPLACE_CODE, {**new_code, **spend}) if dialect == "postgresql" else (SPEND_LIVE, spend)
    )
    return {
        "user and guard state by tenant+username (UserRepository.get)": (
            USER_BY_NAME,
            {"tenant_id": tenant_id, "name": user_name},
        ),
        "code by hash (CodeRepository.find)": (CODE_BY_HASH, {"code_hash": code_hash}),
        "spend the user's live codes, store the new one (CodeRepository.replace)": replace,
        "questions of a tenant (getAllChallengeQuestions)": (
            QUESTIONS_OF_TENANT,
            {"tenant_id": tenant_id},
        ),
    }
