"""Self sign-up: registerUser, resendSignUpConfiramtionCode, confirmUserSelfRegistration."""

from __future__ import annotations

import re
from collections.abc import Sequence

from recovery_soap.core import codes, guard, opening
from recovery_soap.core.captcha import check_captcha
from recovery_soap.core.challenges import hash_answers
from recovery_soap.core.claims import ANSWER_SEPARATOR, EMAIL, settable_profile_claim
from recovery_soap.core.errors import (
    BadRequest,
    InvalidCode,
    InvalidCredential,
    InvalidTenant,
    InvalidUser,
    RecoveryError,
    RegistrationFailed,
    StoreConflict,
    TenantRefused,
)
from recovery_soap.core.model import (
    Caller,
    CaptchaInput,
    Limit,
    MessageKind,
    NotificationData,
    Permission,
    Purpose,
    Step,
    User,
    Verification,
)
from recovery_soap.core.notices import deliver, notify_change
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.services import Services, require
from recovery_soap.core.tenants import QualifiedName, qualify

USERNAME = re.compile(r"[^\s/\\<>\"'`]{3,254}")


def _exists(name: str) -> InvalidUser:
    return InvalidUser(
        f"Username '{name}' already exists in the system. Please pick another username."
    )


def _split_claims(
    user_tenant_sets: set[str], claims: Sequence[tuple[str | None, str | None]], name: str
) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """Profile claims, and challenge answers given as ``set-uri = question!answer`` claims."""
    profile: dict[str, str] = {}
    answers: list[tuple[str, str, str]] = []
    for raw_uri, raw_value in claims:
        uri, value = (raw_uri or "").strip(), (raw_value or "").strip()
        if not uri:
            continue
        if uri in user_tenant_sets:
            question, sep, answer = value.rpartition(ANSWER_SEPARATOR)
            if not sep or not question or not answer.strip():
                raise RegistrationFailed(
                    f"Error occurred while adding user : {name}. The claim {uri} must be "
                    f"'question{ANSWER_SEPARATOR}answer'."
                )
            answers.append((uri, question, answer))
        elif settable_profile_claim(uri):
            if value:
                profile[uri] = value
        else:
            raise RegistrationFailed(
                f"Error occurred while adding user : {name}. The claim {uri} cannot be set."
            )
    return profile, answers


def _checked(
    env: Services,
    uow: UnitOfWork,
    caller: Caller,
    username: str | None,
    password: str | None,
    claims: Sequence[tuple[str | None, str | None]],
    tenant_domain: str | None,
) -> tuple[QualifiedName, dict[str, str], list[tuple[str, str, str]]]:
    """A sign-up's name, password and claims, checked in this order before anything is stored:
    the qualified name, the profile claims and the challenge answers to store."""
    name = qualify(
        env,
        uow,
        caller,
        username,
        tenant_domain,
        lambda: TenantRefused("Trying to create users in unauthorized tenant space"),
    )
    if USERNAME.fullmatch(name.name) is None:
        raise InvalidUser(f"invalid user : {name.as_given}")
    problem = env.policy.passwords.problem(password)
    if problem:
        raise InvalidCredential(f"Credential not valid. {problem}")
    sets = {q.set_id for q in uow.questions.for_tenant(name.tenant)}
    profile, chosen = _split_claims(sets, claims, name.name)
    if env.policy.lock_on_creation and not profile.get(EMAIL):
        raise RegistrationFailed(
            f"Error occurred while adding user : {name.name}. An e-mail address claim "
            f"({EMAIL}) is required to confirm the account."
        )
    return name, profile, chosen


def register_user(
    env: Services,
    caller: Caller,
    username: str | None,
    password: str | None,
    claims: Sequence[tuple[str | None, str | None]] | None,
    profile_name: str | None,
    tenant_domain: str | None,
) -> Verification:
    """Create the user with claims and challenge answers; with lock on creation the account waits
    for the mailed confirmation code (never handed back to the caller unless sending is external).

    With hide_user_existence (internal sending), an existing name gets the answer a new one gets,
    after the same password hashing, and nothing is created or sent.
    """
    require(caller, Permission.REGISTER)
    if not claims:  # missing, nil or empty alike: the legacy service faulted on null claims
        raise BadRequest("User claims are required to register a user")
    guard.admit(env, (Limit.MAIL_PER_ADDRESS, guard.address_of(caller)))
    hide = env.policy.hide_user_existence and not env.policy.notifications_external
    # Hashed before the transaction opens: on SQLite the write lock is not held for ~25 ms.
    acceptable = password is not None and env.policy.passwords.problem(password) is None
    password_hash = env.slow.hash(password) if acceptable and password is not None else ""
    with env.uow() as uow:
        name, profile, chosen = _checked(
            env, uow, caller, username, password, claims, tenant_domain
        )
        lock = env.policy.lock_on_creation
        if uow.users.get(name.tenant, name.name) is not None:
            if hide:
                return Verification(verified=True, user_id=name.as_given)
            raise _exists(name.name)
        try:
            user = uow.users.add(
                name.tenant,
                name.name,
                password_hash,
                locked=lock,
                pending=lock,
                now=env.clock.now(),
            )
        except StoreConflict:
            raise _exists(name.name) from None
        # Counted once the name is ours: concurrent duplicates are told "exists", not "slow down".
        guard.admit(env, (Limit.MAIL_PER_USER, f"{name.tenant.domain}/{name.name}"))
        uow.users.set_claims(user, profile)
        uow.users.set_answers(user, hash_answers(env, uow, user, chosen))
        data = None
        if lock:
            code = codes.issue(env, uow, user, Step.SIGNUP_MAILED)
            # a new user's claims are exactly the profile just written
            data = deliver(env, uow, user, MessageKind.ACCOUNT_CONFIRMATION, code, claims=profile)
        guard.audit(env, uow, caller, "registered", "success", user)
        try:
            uow.commit()
        except StoreConflict:
            raise _exists(name.name) from None
    verified = data is None
    return Verification(verified=verified, user_id=name.as_given, notification=data)


def _pending_user(
    env: Services,
    uow: UnitOfWork,
    caller: Caller,
    username: str | None,
    tenant_domain: str | None,
    refused: TenantRefused | InvalidTenant,
) -> tuple[User | None, str]:
    name = qualify(env, uow, caller, username, tenant_domain, lambda: refused)
    user = uow.users.get(name.tenant, name.name)
    return (user if user is not None and user.pending_confirmation else None), name.as_given


def _resend(env: Services, uow: UnitOfWork, user: User) -> NotificationData | None:
    """Send the live code's message again (its code keeps its expiry); if there is no live code
    or its message is gone (or sending is external), replace the code."""
    now = env.clock.now()
    live = uow.codes.live(user.id, Purpose.SIGNUP, now)
    if (
        live is not None
        and live.message_id is not None
        and not env.policy.notifications_external
        and uow.outbox.requeue(live.message_id, now)
    ):
        return None
    new = codes.issue(env, uow, user, Step.SIGNUP_MAILED)
    return deliver(env, uow, user, MessageKind.ACCOUNT_CONFIRMATION, new)


def resend_signup_code(
    env: Services,
    caller: Caller,
    username: str | None,
    code: str | None,
    profile_name: str | None,
    tenant_domain: str | None,
) -> Verification:
    """Mail the confirmation code again to the registered address. Since callers no longer
    receive the code itself, an empty code is accepted for an account awaiting confirmation."""
    opening.admit(env, caller, Permission.REGISTER)
    refused = TenantRefused("Trying to resend self sign up code  in unauthorized tenant space")
    hide = env.policy.hide_user_existence and not env.policy.notifications_external
    try:
        with guard.watch(env, caller, "signup_code_resent") as seen, env.uow() as uow:
            user, given = _pending_user(env, uow, caller, username, tenant_domain, refused)
            seen.user, seen.username = user, given
            invalid = f"Error while validating confirmation code for user : {given}"
            if user is None:
                raise InvalidCode(invalid)
            if (code or "").strip() and code != "?":
                codes.find(env, uow, user, code, {Step.SIGNUP_MAILED}, invalid)
            guard.admit_mail(env, caller, user.tenant.domain, user.username)
            data = _resend(env, uow, user)
            guard.audit(env, uow, caller, "signup_code_resent", "success", user)
            uow.commit()
    except RecoveryError:
        if hide:
            return Verification(verified=True, user_id=(username or "").strip())
        raise
    return Verification(verified=data is None, user_id=given, notification=data)


def confirm_registration(
    env: Services,
    caller: Caller,
    username: str | None,
    code: str | None,
    captcha: CaptchaInput | None,
    tenant_domain: str | None,
) -> Verification:
    """Spend the sign-up code and unlock the account; a notice mail confirms it to the user."""
    opening.admit(env, caller, Permission.REGISTER)
    refused = InvalidTenant("Trying to confirm users in unauthorized tenant space")
    with guard.watch(env, caller, "confirmed") as seen:
        seen.username = (username or "").strip()
        check_captcha(env, captcha, f"Error while validating captcha for user : {seen.username}")
        with env.uow() as uow:
            user, given = _pending_user(env, uow, caller, username, tenant_domain, refused)
            seen.user = user
            invalid = f"Error while validating confirmation code for user : {given}"
            codes.redeem(env, uow, user, code, {Step.SIGNUP_MAILED}, invalid)
            assert user is not None
            uow.users.set_lock(user, locked=False, pending=False)
            uow.codes.spend_all(user.id, Purpose.SIGNUP, env.clock.now())
            uow.guards.clear(user)
            guard.audit(env, uow, caller, "confirmed", "success", user)
            notify_change(env, uow, user, MessageKind.ACCOUNT_CONFIRMED)
            uow.commit()
    return Verification(verified=True, user_id=given)
