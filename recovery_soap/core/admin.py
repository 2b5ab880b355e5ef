"""Administration used by the command line: tenants, users, answers, questions.

The writes to a user (add, answers, lock, unlock, delete) are use cases like the faces' ones:
one unit of work each, audited with the operator as the caller (``CLI_ACTOR``), and a lock or
a deletion ends the user's tokens (the store raises the credential version, or the row goes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from recovery_soap.core.challenges import set_answers
from recovery_soap.core.errors import BadRequest, InvalidTenant, InvalidUser
from recovery_soap.core.model import (
    SUPER_TENANT,
    AuditEvent,
    DirectoryEntry,
    Match,
    Question,
    ServiceAccount,
    Tenant,
    User,
    UserCondition,
    UserField,
)
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.profiles import Actor, record
from recovery_soap.core.services import Services

#: Who the audit trail names for a command-line change.
CLI_ACTOR = Actor(name="command-line")

SET_1 = "http://wso2.org/claims/challengeQuestion1"
SET_2 = "http://wso2.org/claims/challengeQuestion2"

#: The question sets a new tenant starts with (the legacy defaults).
DEFAULT_QUESTIONS: tuple[Question, ...] = tuple(
    Question(set_id=set_id, question=text, order=order)
    for set_id, texts in (
        (
            SET_1,
            (
                "City where you were born ?",
                "Father's middle name ?",
                "Favorite food ?",
                "Favorite vacation location ?",
            ),
        ),
        (
            SET_2,
            (
                "Model of your first car ?",
                "Name of the hospital where you were born ?",
                "Name of your first pet ?",
                "Favorite sport ?",
            ),
        ),
    )
    for order, text in enumerate(texts)
)


def tenant(uow: UnitOfWork, domain: str) -> Tenant:
    found = uow.tenants.by_domain(domain)
    if found is None:
        raise InvalidTenant(f"Invalid tenant domain : {domain}")
    return found


def add_tenant(uow: UnitOfWork, domain: str) -> Tenant:
    """A new tenant with the default question sets."""
    domain = domain.strip().lower()
    if not domain or "@" in domain or " " in domain:
        raise BadRequest(f"Not a tenant domain: {domain!r}")
    if uow.tenants.by_domain(domain) is not None:
        raise BadRequest(f"Tenant {domain} exists already")
    created = uow.tenants.add(domain)
    for question in DEFAULT_QUESTIONS:
        uow.questions.add(created, question)
    return created


def add_user(
    env: Services,
    uow: UnitOfWork,
    tenant_domain: str,
    username: str,
    password: str,
    claims: Mapping[str, str],
) -> User:
    """An active user, created by an administrator (no confirmation needed)."""
    where = tenant(uow, tenant_domain)
    problem = env.policy.passwords.problem(password)
    if problem:
        raise BadRequest(problem)
    if uow.users.get(where, username) is not None:
        raise BadRequest(f"User {username} exists already in {where.domain}")
    user = uow.users.add(
        where,
        username,
        env.slow.hash(password),
        locked=False,
        pending=False,
        now=env.clock.now(),
    )
    uow.users.set_claims(user, dict(claims))
    record(env, uow, CLI_ACTOR, "user_created", user)
    return user


def find_user(uow: UnitOfWork, tenant_domain: str, username: str) -> User:
    user = uow.users.get(tenant(uow, tenant_domain), username)
    if user is None:
        raise InvalidUser(f"User does not exist : {username}")
    return user


def set_user_answers(
    env: Services,
    uow: UnitOfWork,
    tenant_domain: str,
    username: str,
    chosen: Sequence[tuple[str, str, str]],
) -> None:
    user = find_user(uow, tenant_domain, username)
    set_answers(env, uow, user, chosen)
    record(env, uow, CLI_ACTOR, "answers_set", user, f"{len(chosen)} answer(s)")


def set_locked(env: Services, tenant_domain: str, username: str, *, locked: bool) -> User:
    """Lock a user (no recovery, no login; its tokens end) or unlock it and clear its failed
    attempts."""
    with env.uow() as uow:
        user = find_user(uow, tenant_domain, username)
        uow.users.set_lock(user, locked=locked, pending=user.pending_confirmation and locked)
        if not locked:
            uow.guards.clear(user)
        record(env, uow, CLI_ACTOR, "user_locked" if locked else "user_unlocked", user)
        uow.commit()
    return user


def delete_user(env: Services, tenant_domain: str, username: str) -> None:
    """Delete a user with its claims, answers and codes; its tokens end."""
    with env.uow() as uow:
        user = find_user(uow, tenant_domain, username)
        uow.users.delete(user)
        record(env, uow, CLI_ACTOR, "user_deleted", user)
        uow.commit()


def add_question(uow: UnitOfWork, tenant_domain: str, question: Question) -> None:
    where = tenant(uow, tenant_domain)
    if any(
        q.set_id == question.set_id and q.question == question.question
        for q in uow.questions.for_tenant(where)
    ):
        raise BadRequest("That question exists already in the set")
    uow.questions.add(where, question)


def accounts(uow: UnitOfWork) -> list[ServiceAccount]:
    """Every service account, by name (never a secret: only its keyed hash is stored)."""
    return uow.accounts.all()


def users_page(
    uow: UnitOfWork,
    tenant_domain: str,
    *,
    starts_with: str = "",
    email: str = "",
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[DirectoryEntry]]:
    """One page of a tenant's users (by id), filtered by user-name prefix or e-mail address,
    with the total that match."""
    if offset < 0 or not 1 <= limit <= 1000:
        raise BadRequest("offset must be >= 0 and limit between 1 and 1000")
    conditions = []
    if starts_with:
        conditions.append(UserCondition(UserField.USERNAME, Match.STARTS_WITH, starts_with))
    if email:
        conditions.append(UserCondition(UserField.EMAIL, Match.EQUALS, email))
    return uow.directory.search(tenant(uow, tenant_domain), conditions, offset, limit)


def delete_tenant(env: Services, uow: UnitOfWork, domain: str, *, force: bool = False) -> int:
    """Remove a tenant with its questions, accounts and (only when forced) its users; returns
    how many users went with it. The super tenant is never removed."""
    if domain == SUPER_TENANT:
        raise BadRequest(f"The tenant {SUPER_TENANT} cannot be deleted")
    where = tenant(uow, domain)
    users, _ = uow.directory.search(where, [], 0, 1)
    if users and not force:
        raise BadRequest(f"Tenant {domain} has {users} user(s): delete them first or use --force")
    uow.tenants.delete(where)
    uow.audit.record(
        AuditEvent(
            at=env.clock.now(),
            event="tenant_deleted",
            outcome="success",
            tenant=domain,
            caller="command line",
            detail=f"{users} user(s) removed",
        )
    )
    return users
