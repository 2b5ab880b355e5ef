"""Password recovery by e-mailed code: verifyUser -> sendRecoveryNotification ->
verifyConfirmationCode -> updatePassword (which also ends the challenge-question flows)."""

from __future__ import annotations

from recovery_soap.core import codes
from recovery_soap.core.captcha import check_captcha
from recovery_soap.core.env import Env, require
from recovery_soap.core.errors import AccountLocked, InvalidUser, UpdateFailed
from recovery_soap.core.model import (
    CaptchaInput,
    Caller,
    MessageKind,
    Permission,
    Purpose,
    Step,
    User,
    Verification,
)
from recovery_soap.core.notices import deliver
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.tenants import qualify

#: The proof an e-mailed code gives; challenge proofs are the question-set ids answered.
MAILBOX_PROOF = "mailbox"


def _user(env: Env, uow: UnitOfWork, caller: Caller, username: str | None) -> tuple[User | None, str]:
    name = qualify(env, uow, caller, username)
    return uow.users.get(name.tenant, name.name), name.as_given


def verify_user(
    env: Env, caller: Caller, username: str | None, captcha: CaptchaInput | None
) -> Verification:
    """Start a recovery: the user exists and may recover; issues the first key."""
    require(caller, Permission.RECOVER)
    check_captcha(env, captcha, "Error while validating captcha")
    with env.uow() as uow:
        user, given = _user(env, uow, caller, username)
        if user is None:
            raise InvalidUser(f"User does not exist : {given}")
        if user.locked:
            raise AccountLocked(f"Error verifying user : {given}")
        key = codes.issue(env, uow, user, Step.USER_VERIFIED)
        uow.commit()
    return Verification(verified=True, user_id=given, key=key)


def send_recovery_notification(
    env: Env, caller: Caller, username: str | None, key: str | None, notification_type: str | None
) -> Verification:
    """Spend the first key and mail a recovery code (any notification type means e-mail)."""
    require(caller, Permission.RECOVER)
    with env.uow() as uow:
        user, given = _user(env, uow, caller, username)
        invalid = f"Invalid confirmation code for user : {given}"
        codes.redeem(env, uow, user, key, {Step.USER_VERIFIED}, invalid)
        assert user is not None
        # One live mailed code per user: an older one stops working when a new one is sent.
        uow.codes.spend_step(user.id, Step.CODE_MAILED, env.clock.now())
        code = codes.issue(env, uow, user, Step.CODE_MAILED)
        data = deliver(env, uow, user, MessageKind.PASSWORD_RESET, code)
        uow.commit()
    return Verification(verified=True, notification=data)


def verify_confirmation_code(
    env: Env, caller: Caller, username: str | None, code: str | None,
    captcha: CaptchaInput | None,
) -> Verification:
    """Spend the mailed code (single use, unlike the legacy server) for a password-change key."""
    require(caller, Permission.RECOVER)
    given = (username or "").strip()
    check_captcha(env, captcha, f"Error while validating captcha for user : {given}")
    with env.uow() as uow:
        user, given = _user(env, uow, caller, username)
        invalid = f"Error verifying confirmation code for user : {given}"
        codes.redeem(env, uow, user, code, {Step.CODE_MAILED}, invalid)
        assert user is not None
        key = codes.issue(
            env, uow, user, Step.CODE_CONFIRMED, proof=frozenset({MAILBOX_PROOF})
        )
        uow.commit()
    return Verification(verified=True, user_id=given, key=key)


def proof_is_complete(env: Env, uow: UnitOfWork, user: User, proof: frozenset[str]) -> bool:
    """A password change needs the mailbox, or the user's challenge questions answered right."""
    if MAILBOX_PROOF in proof:
        return True
    stored = {answer.set_id for answer in uow.users.answers(user)}
    answered = proof & stored
    if not stored or not answered:
        return False
    return answered == stored or not env.policy.all_answers_required


def update_password(
    env: Env, caller: Caller, username: str | None, key: str | None, new_password: str | None
) -> Verification:
    """Change the password with a key that carries proof; spends every recovery code of the user."""
    require(caller, Permission.RECOVER)
    with env.uow() as uow:
        user, given = _user(env, uow, caller, username)
        failed = f"Error while updating credential for user: {given}"
        problem = env.policy.passwords.problem(new_password)
        if problem:
            raise UpdateFailed(f"{failed}. {problem}")
        record = codes.find(
            env, uow, user, key, {Step.CODE_CONFIRMED, Step.ANSWERED}, failed
        )
        assert user is not None and new_password is not None
        if not proof_is_complete(env, uow, user, record.proof):
            raise UpdateFailed(f"{failed}. Every challenge question must be answered first.")
        codes.spend(env, uow, record, failed)
        now = env.clock.now()
        uow.users.set_password(user, env.slow.hash(new_password), now)
        uow.codes.spend_all(user.id, Purpose.RECOVERY, now)
        uow.commit()
    return Verification(verified=True, user_id=given)

