"""Subscriber invitations: invite (mail a key), confirm the invitee, add the user."""

from __future__ import annotations

import pytest

from recovery_soap.core import invitations, login
from recovery_soap.core.errors import (
    BadRequest,
    ExpiredCode,
    InvalidCode,
    InvalidCredential,
    RegistrationFailed,
)
from recovery_soap.core.model import Caller, MessageKind
from recovery_soap.core.services import Services
from tests.core.conftest import (
    PASSWORD,
    FixedClock,
    Mail,
    confirmed_user,
    stored_user,
    with_policy,
)

GUEST = "guest@example.test"


def invited_key(
    env: Services, caller: Caller, mail: Mail, name: str = GUEST, address: str = GUEST
) -> str:
    invitations.invite(env, caller, name)
    assert mail.kinds(address)[-1] == MessageKind.INVITATION.value
    return mail.last_code(address)


def test_the_whole_invitation(env: Services, caller: Caller, mail: Mail) -> None:
    key = invited_key(env, caller, mail)
    held = stored_user(env, caller.tenant, GUEST)
    assert held.locked and held.pending_confirmation
    invitee = invitations.confirm_invitee(env, caller, key)
    assert invitee.username == GUEST and invitee.email == GUEST and not invitee.existing
    user = invitations.add_user(env, caller, invitee.key, PASSWORD, "Guest", "User")
    assert not stored_user(env, caller.tenant, GUEST).locked
    assert login.log_in(env, caller, GUEST, PASSWORD).id == user.id


def test_an_invitation_is_mailed_even_with_external_sending(
    env: Services, caller: Caller, mail: Mail
) -> None:
    external = with_policy(env, notifications_external=True)
    invitations.invite(external, caller, GUEST)
    assert mail.kinds(GUEST) == [MessageKind.INVITATION.value]


def test_keys_work_once_and_in_order(env: Services, caller: Caller, mail: Mail) -> None:
    key = invited_key(env, caller, mail)
    with pytest.raises(InvalidCode):
        invitations.add_user(env, caller, key, PASSWORD, "Guest", "User")
    invitee = invitations.confirm_invitee(env, caller, key)
    with pytest.raises(InvalidCode):
        invitations.confirm_invitee(env, caller, key)
    invitations.add_user(env, caller, invitee.key, PASSWORD, "Guest", "User")
    with pytest.raises(InvalidCode):
        invitations.add_user(env, caller, invitee.key, PASSWORD, "Guest", "User")


def test_an_invitation_key_expires(
    env: Services, caller: Caller, mail: Mail, clock: FixedClock
) -> None:
    key = invited_key(env, caller, mail)
    clock.advance(seconds=env.policy.signup_code_ttl.total_seconds())
    with pytest.raises(ExpiredCode):
        invitations.confirm_invitee(env, caller, key)


def test_an_existing_user_confirms_without_a_new_password(
    env: Services, caller: Caller, mail: Mail
) -> None:
    confirmed_user(env, caller, mail, "olga")
    key = invited_key(env, caller, mail, "olga", "olga@example.test")
    invitee = invitations.confirm_invitee(env, caller, key)
    assert invitee.existing and invitee.email == "olga@example.test"


def test_invitation_rules(env: Services, caller: Caller, mail: Mail) -> None:
    with pytest.raises(BadRequest):
        invitations.invite(env, caller, "not-an-address")
    key = invited_key(env, caller, mail)
    invitee = invitations.confirm_invitee(env, caller, key)
    with pytest.raises(InvalidCredential, match="three of"):
        invitations.add_user(env, caller, invitee.key, "alllowercase1", "Guest", "User")
    with pytest.raises(RegistrationFailed):
        invitations.add_user(env, caller, invitee.key, PASSWORD, "Gu est", "User")
    invitations.add_user(env, caller, invitee.key, PASSWORD, "Guest", "User")
