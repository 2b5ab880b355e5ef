"""Telling the user: a message into the outbox (internal sending) or data for the caller (external).

The outbox row is written in the caller's unit of work, so a code and its message are stored
together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping

from recovery_soap.core import codes
from recovery_soap.core.claims import EMAIL, GIVEN_NAME
from recovery_soap.core.errors import NotificationFailed
from recovery_soap.core.model import (
    MessageKind,
    NotificationData,
    OutgoingMessage,
    Presented,
    User,
)
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.services import Services


def _enqueue(
    env: Services,
    uow: UnitOfWork,
    user: User,
    kind: MessageKind,
    address: str,
    secret: str,
    first_name: str | None,
) -> int:
    variables = {
        "first_name": first_name or user.username,
        "user_name": user.username,
        "code": secret,
        "tenant_domain": user.tenant.domain,
        "userstore_domain": "PRIMARY",
    }
    rendered = env.render_message(kind, variables)
    return uow.outbox.enqueue(
        OutgoingMessage(
            tenant_id=user.tenant.id,
            kind=kind,
            recipient=address,
            subject=rendered.subject,
            body=rendered.text,
            html=rendered.html,
            sender=rendered.sender,
        ),
        env.clock.now(),
    )


def deliver(
    env: Services,
    uow: UnitOfWork,
    user: User,
    kind: MessageKind,
    secret: str,
    *,
    is_code: bool = True,
    claims: Mapping[str, str] | None = None,
) -> NotificationData | None:
    """Queue ``kind`` for the user's e-mail address, or hand it back when sending is external.

    ``secret`` is what the user must receive: a code, or the username for account-id recovery.
    A code's message is linked to it, so a resend can send the same message again. ``claims``:
    all of the user's claims when the caller has just written them (saves reading them back).
    """
    if claims is None:
        claims = uow.users.claims(user)
    address = (claims.get(EMAIL) or "").strip()
    if not address:
        raise NotificationFailed(f"No e-mail address to notify user : {user.username}")
    first_name = claims.get(GIVEN_NAME)
    if env.policy.notifications_external:
        return NotificationData(
            code=secret,
            address=address,
            user_id=user.username,
            first_name=first_name,
            domain=user.tenant.domain,
            kind=kind,
        )
    message_id = _enqueue(env, uow, user, kind, address, secret, first_name)
    if is_code:
        uow.codes.link_message(codes.digest(env, secret), message_id)
    return None


def notify_change(env: Services, uow: UnitOfWork, user: User, kind: MessageKind) -> None:
    """A notice after a password change or a confirmation, when the service sends mail itself
    and neither the settings nor the user's tenant turned notices off."""
    if env.policy.notifications_external or not env.policy.notify_changes:
        return
    if not user.tenant.notify_changes:
        return
    claims = uow.users.claims(user)
    address = (claims.get(EMAIL) or "").strip()
    if address:
        _enqueue(env, uow, user, kind, address, "", claims.get(GIVEN_NAME))


def notify_email_change(env: Services, uow: UnitOfWork, user: User, old_address: str) -> None:
    """Tell the old address that the account's e-mail address changed (or was removed): whoever
    holds a stolen session cannot quietly redirect the account's recovery mail. The same rules
    as the other notices decide whether it is sent."""
    if env.policy.notifications_external or not env.policy.notify_changes:
        return
    if not user.tenant.notify_changes or not old_address.strip():
        return
    first_name = uow.users.claims(user).get(GIVEN_NAME)
    _enqueue(env, uow, user, MessageKind.EMAIL_CHANGED, old_address.strip(), "", first_name)


def deliver_alike(
    env: Services,
    uow: UnitOfWork,
    subject: User | Presented,
    kind: MessageKind,
    secret: str,
    *,
    is_code: bool = True,
) -> None:
    """Hidden existence: queue the message for a user, or, for a name no usable user has, run
    the very same statements in a savepoint that is then undone -- so that both requests cost
    the same and only the first sends anything (internal sending only)."""
    if isinstance(subject, User):
        with uow.savepoint(keep=True):
            deliver(env, uow, subject, kind, secret, is_code=is_code)
        return
    # A stand-in no row has (ids start at 1): its claims lookup finds nothing, as a user's finds.
    stand_in = User(
        id=0,
        tenant=subject.tenant,
        username=subject.username,
        password_hash="",
        locked=False,
        pending_confirmation=False,
    )
    with uow.savepoint(keep=False):
        claims = uow.users.claims(stand_in)
        address = claims.get(EMAIL) or f"{subject.username}@invalid"
        message_id = _enqueue(env, uow, stand_in, kind, address, secret, claims.get(GIVEN_NAME))
        if is_code:
            uow.codes.link_message(codes.digest(env, secret), message_id)


def send_to_address(
    env: Services,
    uow: UnitOfWork,
    user: User,
    kind: MessageKind,
    address: str,
    code: str,
    first_name: str | None,
) -> None:
    """Queue a code for an address that is not (yet) the user's: an e-mail change to verify."""
    message_id = _enqueue(env, uow, user, kind, address, code, first_name)
    uow.codes.link_message(codes.digest(env, code), message_id)
