"""Subscriber invitations: invite (mail a one-time key), confirm the invitee (spend it for the
next step's key), add the user (spend that, set password and names, unlock the account).

An invited name that does not exist yet is held as a locked account awaiting confirmation with
no password, so the code chain (core.codes) binds every key to it as for a self sign-up.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from recovery_soap.core import codes, guard, opening
from recovery_soap.core.claims import DIALECT, EMAIL, GIVEN_NAME
from recovery_soap.core.errors import (
    BadRequest,
    InvalidCode,
    InvalidCredential,
    InvalidUser,
    RegistrationFailed,
    StoreConflict,
)
from recovery_soap.core.model import Caller, Limit, MessageKind, Permission, Purpose, Step, User
from recovery_soap.core.notices import deliver
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.registration import USERNAME
from recovery_soap.core.services import Services, require
from recovery_soap.core.tenants import caller_may_use, qualify

LAST_NAME = f"{DIALECT}/lastname"
INVALID_LINK = (
    "The link you are trying to click or the provided confirmation code has expired or is not valid"
)
INVALID_KEY = (
    "Unable to retrieve user information. Invalid confirmation key provided. "
    "Please check the confirmation key and try again"
)
ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
NAME = re.compile(r"[A-Za-z0-9]{1,64}")
PASSWORD_CLASSES = (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]")


@dataclass(frozen=True)
class Invitee:
    """Who confirmed an invitation: a new user gets ``key`` for addUser, an existing one none."""

    username: str
    email: str
    key: str | None = None

    @property
    def existing(self) -> bool:
        return self.key is None


def _mailing(env: Services) -> Services:
    # An invitation is always mailed: the subscriber API has no field to hand a key back in.
    return dataclasses.replace(
        env, policy=dataclasses.replace(env.policy, notifications_external=False)
    )


def invite(env: Services, caller: Caller, username: str | None, email: str | None = None) -> str:
    """Mail an invitation key to ``username`` (an e-mail address, optionally ``@tenant``);
    only in a tenant that allows self sign-up. Returns the name as given."""
    require(caller, Permission.REGISTER)
    guard.admit(env, (Limit.MAIL_PER_ADDRESS, guard.address_of(caller)))
    with env.uow() as uow:
        name = qualify(env, uow, caller, username)
        tenant = uow.tenants.by_domain(name.tenant.domain) or name.tenant
        if not tenant.self_signup:
            raise RegistrationFailed(f"Self sign-up is not enabled for the tenant {tenant.domain}")
        user = uow.users.get(tenant, name.name)
        known = uow.users.claims(user).get(EMAIL, "") if user is not None else ""
        address = (email or known or name.name).strip()
        if ADDRESS.fullmatch(address) is None:
            raise BadRequest("The invitee must be named by an e-mail address")
        if user is None:
            if USERNAME.fullmatch(name.name) is None:
                raise InvalidUser(f"invalid user : {name.as_given}")
            try:
                user = uow.users.add(
                    tenant, name.name, "", locked=True, pending=True, now=env.clock.now()
                )
            except StoreConflict:
                raise InvalidUser(f"The user {name.as_given} is being invited already") from None
            uow.users.set_claims(user, {EMAIL: address})
        guard.admit(env, (Limit.MAIL_PER_USER, f"{tenant.domain}/{name.name}"))
        key = codes.issue(env, uow, user, Step.INVITED)
        deliver(_mailing(env), uow, user, MessageKind.INVITATION, key)
        guard.audit(env, uow, caller, "invited", "success", user)
        uow.commit()
    return name.as_given


def _holder(env: Services, uow: UnitOfWork, caller: Caller, key: str | None) -> User | None:
    """The user a key was issued to, if the caller may act in that user's tenant."""
    if not key or not key.strip():
        return None
    found = uow.codes.find(codes.digest(env, key.strip()))
    if found is None:
        return None
    owner = found[0].user_id
    user = uow.users.by_id(owner) if owner is not None else None  # None: a decoy
    if user is None or not caller_may_use(env, caller, user.tenant):
        return None
    return user


def confirm_invitee(env: Services, caller: Caller, key: str | None) -> Invitee:
    """Spend an invitation key. A new invitee gets the key for addUser; an existing user's
    invitation is complete (they log in with the password they have)."""
    opening.admit(env, caller, Permission.REGISTER)
    with guard.watch(env, caller, "invite_confirmed") as seen, env.uow() as uow:
        user = _holder(env, uow, caller, key)
        seen.user = user
        codes.redeem(env, uow, user, key, {Step.INVITED}, INVALID_LINK)
        assert user is not None
        email = uow.users.claims(user).get(EMAIL, user.username)
        following = None
        if user.pending_confirmation:
            following = codes.issue(env, uow, user, Step.INVITE_ACCEPTED)
        else:
            uow.codes.spend_all(user.id, Purpose.SIGNUP, env.clock.now())
        guard.audit(env, uow, caller, "invite_confirmed", "success", user)
        uow.commit()
    return Invitee(username=user.username, email=email, key=following)


def password_problem(env: Services, password: str | None) -> str | None:
    """The subscriber API's rule (three of: upper case, lower case, digit, other) and the policy."""
    problem = env.policy.passwords.problem(password)
    if problem:
        return problem
    assert password is not None
    if sum(1 for pattern in PASSWORD_CLASSES if re.search(pattern, password)) < 3:
        return (
            "The password must have at least three of: an upper-case letter, a lower-case "
            "letter, a digit, a special character."
        )
    return None


def add_user(
    env: Services,
    caller: Caller,
    key: str | None,
    password: str | None,
    first_name: str | None,
    last_name: str | None,
) -> User:
    """Finish an invitation: set the password and names, unlock the account."""
    require(caller, Permission.REGISTER)
    problem = password_problem(env, password)
    if problem:
        raise InvalidCredential(problem)
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if NAME.fullmatch(first) is None or NAME.fullmatch(last) is None:
        raise RegistrationFailed("The first and last name may contain only letters and digits.")
    assert password is not None
    password_hash = env.slow.hash(password)
    guard.admit_check(env, caller)
    with guard.watch(env, caller, "invitee_added") as seen, env.uow() as uow:
        user = _holder(env, uow, caller, key)
        seen.user = user
        codes.redeem(env, uow, user, key, {Step.INVITE_ACCEPTED}, INVALID_KEY)
        assert user is not None
        if not user.pending_confirmation:
            raise InvalidCode(INVALID_KEY)
        now = env.clock.now()
        uow.users.set_password(user, password_hash, now)
        uow.users.set_claims(user, {GIVEN_NAME: first, LAST_NAME: last})
        uow.users.set_lock(user, locked=False, pending=False)
        uow.codes.spend_all(user.id, Purpose.SIGNUP, now)
        uow.guards.clear(user)
        guard.audit(env, uow, caller, "invitee_added", "success", user)
        uow.commit()
    return user
