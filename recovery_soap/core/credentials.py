"""Checking a user's password, for the faces that log users in (the later REST face)."""

from __future__ import annotations

from recovery_soap.core.model import User
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.services import Services


def check_password(env: Services, uow: UnitOfWork, user: User | None, password: str) -> bool:
    """Whether ``password`` is the user's (an unknown user costs the same time and fails).

    A right password whose stored hash is outdated (an imported legacy digest, older argon2
    parameters) is rehashed in the caller's unit of work: committed with it, or not at all.
    """
    ok, new_hash = env.slow.verify_and_update(password, user.password_hash if user else None)
    if ok and new_hash and user is not None:
        uow.users.rehash_password(user, new_hash)
    return ok
