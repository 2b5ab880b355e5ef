"""The confirmation-code chain: issue a code for a step, redeem it once for an expected step.

A code is bound to tenant, user, purpose and step; it expires; it is stored only as a keyed
hash; and it is spent by one conditional update, so of many concurrent redemptions exactly one
succeeds.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from recovery_soap.core.errors import ExpiredCode, InvalidCode
from recovery_soap.core.model import CodeRecord, NewCode, Presented, Step, User
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.services import Services

CODE_LABEL = "code"


def ttl_for(env: Services, step: Step) -> timedelta:
    if step in (Step.SIGNUP_MAILED, Step.INVITED, Step.EMAIL_PENDING):
        return env.policy.signup_code_ttl
    return env.policy.recovery_code_ttl


def issue(
    env: Services,
    uow: UnitOfWork,
    user: User | Presented,
    step: Step,
    *,
    proof: frozenset[str] = frozenset(),
    subject: str | None = None,
) -> str:
    """Store a new code for the user's next step and return it (the only time it exists in clear).

    A user has at most one live code per purpose: issuing one spends the others. Issued to a
    name presented (no usable user has it, existence hidden) the code is a decoy: stored and
    spent like a real one, so that both cost the same, but it leads nowhere.
    """
    code = env.random.code()
    now = env.clock.now()
    decoy = isinstance(user, Presented)
    owner = None if isinstance(user, Presented) else user.id
    uow.codes.replace(
        NewCode(
            tenant_id=user.tenant.id,
            user_id=owner,
            step=step,
            code_hash=digest(env, code),
            created_at=now,
            expires_at=now + ttl_for(env, step),
            proof=proof,
            subject=user.username if decoy else subject,
        )
    )
    return code


def _belongs(record: CodeRecord, user: User | Presented) -> bool:
    if isinstance(user, Presented):
        return (
            record.user_id is None
            and record.tenant_id == user.tenant.id
            and record.subject == user.username
        )
    return record.user_id == user.id and record.tenant_id == user.tenant.id


def digest(env: Services, code: str) -> str:
    return env.keyed.digest(CODE_LABEL, code)


def find(
    env: Services,
    uow: UnitOfWork,
    user: User | Presented | None,
    code: str | None,
    steps: Collection[Step],
    invalid: str,
) -> CodeRecord:
    """The live record of ``code`` for this user at one of ``steps``, without spending it.

    Every mismatch (unknown, another user's, another step, used) is the same ``invalid`` error,
    so a caller learns nothing about other users' codes; only expiry is told apart (18002).
    """
    if not code or not code.strip() or user is None:
        raise InvalidCode(invalid)
    presented = digest(env, code)
    found = uow.codes.find(presented)
    if found is None:
        raise InvalidCode(invalid)
    record, stored_hash = found
    if not (
        env.keyed.same(presented, stored_hash)
        and _belongs(record, user)
        and record.step in steps
        and record.used_at is None
    ):
        raise InvalidCode(invalid)
    if env.clock.now() >= record.expires_at:
        raise ExpiredCode(f"Expired confirmation code for user : {user.username}")
    return record


def spend(env: Services, uow: UnitOfWork, record: CodeRecord, invalid: str) -> None:
    """Spend the code atomically; a concurrent request that spent it first wins."""
    if not uow.codes.consume(record.id, env.clock.now()):
        raise InvalidCode(invalid)


def redeem(
    env: Services,
    uow: UnitOfWork,
    user: User | Presented | None,
    code: str | None,
    steps: Collection[Step],
    invalid: str,
) -> CodeRecord:
    """Find and spend in one go: what most steps of the chain do."""
    record = find(env, uow, user, code, steps, invalid)
    spend(env, uow, record, invalid)
    return record
