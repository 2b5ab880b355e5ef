"""Password recovery by e-mailed code: verifyUser -> sendRecoveryNotification ->
verifyConfirmationCode -> updatePassword (which also ends the challenge-question flows)."""

from __future__ import annotations

from recovery_soap.core import codes, guard, opening
from recovery_soap.core.errors import (
    AccountLocked,
    InvalidCode,
    InvalidUser,
    RecoveryError,
    UpdateFailed,
)
from recovery_soap.core.model import (
    Caller,
    CaptchaInput,
    MessageKind,
    Permission,
    Presented,
    Purpose,
    Step,
    User,
    Verification,
)
from recovery_soap.core.notices import deliver, deliver_alike, notify_change
from recovery_soap.core.opening import CaptchaCheck
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.services import Services

#: The proof an e-mailed code gives; challenge proofs are the question-set ids answered.
MAILBOX_PROOF = "mailbox"


def _recovering(env: Services, user: User | None, presented: Presented) -> User | Presented | None:
    """Whom a recovery step acts on: the user; with hidden existence, the name presented when no
    usable user has it, so that its keys are decoys stored and spent like real ones."""
    if user is not None and not user.locked:
        return user
    return presented if env.policy.hide_user_existence else user


def verify_user(
    env: Services, caller: Caller, username: str | None, captcha: CaptchaInput | None
) -> Verification:
    """Start a recovery: the user exists and may recover; issues the first key.

    With hide_user_existence, an unknown, locked or recovery-locked user gets the same answer,
    with a decoy key stored like a real one, so neither the answer nor the work tells anything.
    """
    opening.admit(env, caller, Permission.RECOVER)
    with opening.on_named_user(
        env,
        caller,
        "recovery_started",
        username,
        captcha=CaptchaCheck(captcha, "Error while validating captcha"),
        acting_on=_recovering,
        check_lock=False,  # told below: a hidden recovery lock answers like an unknown name
    ) as on:
        uow, user, given, subject = on.uow, on.user, on.given, on.subject
        if env.policy.hide_user_existence and guard.is_locked(env, uow, subject):
            subject = on.presented
        if isinstance(subject, Presented):
            key = codes.issue(env, uow, subject, Step.USER_VERIFIED)
            guard.audit(
                env, uow, caller, "recovery_started", "failure", user, "hidden", given[:255]
            )
            uow.commit()
            return Verification(verified=True, user_id=given, key=key)
        if user is None:
            raise InvalidUser(f"User does not exist : {given}")
        if user.locked:
            raise AccountLocked(f"Error verifying user : {given}")
        guard.ensure_unlocked(env, uow, user, given)
        key = codes.issue(env, uow, user, Step.USER_VERIFIED)
        guard.audit(env, uow, caller, "recovery_started", "success", user)
        uow.commit()
    return Verification(verified=True, user_id=given, key=key)


def send_recovery_notification(
    env: Services,
    caller: Caller,
    username: str | None,
    key: str | None,
    notification_type: str | None,
) -> Verification:
    """Spend the first key and mail a recovery code (any notification type means e-mail).

    A decoy key (hidden existence) goes through the same steps, mail limit included, with a
    message rendered but never queued.
    """
    opening.admit(env, caller, Permission.RECOVER)
    hide = env.policy.hide_user_existence and not env.policy.notifications_external
    try:
        with opening.on_named_user(
            env, caller, "recovery_code_sent", username, acting_on=_recovering
        ) as on:
            uow, subject, given = on.uow, on.subject, on.given
            invalid = f"Invalid confirmation code for user : {given}"
            codes.redeem(env, uow, subject, key, {Step.USER_VERIFIED}, invalid)
            if not (hide or isinstance(subject, User)):
                raise InvalidCode(invalid)  # external sending cannot hide: a decoy ends here
            assert subject is not None
            guard.admit_mail(env, caller, on.presented.tenant.domain, on.presented.username)
            code = codes.issue(env, uow, subject, Step.CODE_MAILED)
            data = None
            if hide:
                deliver_alike(env, uow, subject, MessageKind.PASSWORD_RESET, code)
            elif isinstance(subject, User):
                data = deliver(env, uow, subject, MessageKind.PASSWORD_RESET, code)
            outcome = "success" if isinstance(subject, User) else "failure"
            guard.audit(env, uow, caller, "recovery_code_sent", outcome, on.user, None, given)
            uow.commit()
    except RecoveryError:
        # "If the account exists, a code is on its way": no failure tells an unknown user apart.
        if hide:
            return Verification(verified=True)
        raise
    return Verification(verified=True, notification=data)


def verify_confirmation_code(
    env: Services,
    caller: Caller,
    username: str | None,
    code: str | None,
    captcha: CaptchaInput | None,
) -> Verification:
    """Spend the mailed code (single use, unlike the legacy server) for a password-change key."""
    opening.admit(env, caller, Permission.RECOVER)
    shown = (username or "").strip()
    with opening.on_named_user(
        env,
        caller,
        "recovery_code_checked",
        username,
        captcha=CaptchaCheck(captcha, f"Error while validating captcha for user : {shown}"),
        acting_on=_recovering,
    ) as on:
        uow, subject, given = on.uow, on.subject, on.given
        invalid = f"Error verifying confirmation code for user : {given}"
        codes.redeem(env, uow, subject, code, {Step.CODE_MAILED}, invalid)
        if not isinstance(subject, User):
            raise InvalidCode(invalid)  # a decoy's code was never sent anywhere
        key = codes.issue(env, uow, subject, Step.CODE_CONFIRMED, proof=frozenset({MAILBOX_PROOF}))
        uow.commit()
    return Verification(verified=True, user_id=given, key=key)


def proof_is_complete(env: Services, uow: UnitOfWork, user: User, proof: frozenset[str]) -> bool:
    """A password change needs the mailbox, or the user's challenge questions answered right,
    or both when recovery_proof is code_and_answers."""
    mailbox = MAILBOX_PROOF in proof
    if mailbox and not env.policy.code_and_answers_required:
        return True  # the mailbox suffices: the answers are not even read
    stored = {answer.set_id for answer in uow.users.answers(user)}
    answered = proof & stored
    answers_ok = (
        bool(stored)
        and bool(answered)
        and (answered == stored or not env.policy.all_answers_required)
    )
    if env.policy.code_and_answers_required:
        return mailbox and answers_ok
    return mailbox or answers_ok


def update_password(
    env: Services, caller: Caller, username: str | None, key: str | None, new_password: str | None
) -> Verification:
    """Change the password with a key that carries proof; spends every recovery code of the user,
    clears its failed attempts and sends a notice, all in one transaction."""
    opening.admit(env, caller, Permission.RECOVER)
    # Hashed before the transaction opens: on SQLite the write lock is not held for the ~30 ms.
    acceptable = new_password is not None and env.policy.passwords.problem(new_password) is None
    password_hash = env.slow.hash(new_password) if acceptable and new_password else ""
    with opening.on_named_user(env, caller, "password_changed", username) as on:
        uow, user, given = on.uow, on.user, on.given
        failed = f"Error while updating credential for user: {given}"
        problem = env.policy.passwords.problem(new_password)
        if problem:
            raise UpdateFailed(f"{failed}. {problem}")
        record = codes.find(env, uow, user, key, {Step.CODE_CONFIRMED, Step.ANSWERED}, failed)
        assert user is not None and new_password is not None and password_hash
        if not proof_is_complete(env, uow, user, record.proof):
            needed = (
                "The e-mailed code and every challenge answer are needed."
                if env.policy.code_and_answers_required
                else "Every challenge question must be answered first."
            )
            raise UpdateFailed(f"{failed}. {needed}")
        codes.spend(env, uow, record, failed)
        now = env.clock.now()
        uow.users.set_password(user, password_hash, now)
        uow.codes.spend_all(user.id, Purpose.RECOVERY, now)
        uow.guards.clear(user)
        guard.audit(env, uow, caller, "password_changed", "success", user)
        notify_change(env, uow, user, MessageKind.PASSWORD_CHANGED)
        uow.commit()
    return Verification(verified=True, user_id=given)
