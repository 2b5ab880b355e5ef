"""Telling the user: a message into the outbox (internal sending) or data for the caller (external).

The outbox row is written in the caller's unit of work, so a code and its message are stored
together or not at all.
"""

from __future__ import annotations

from recovery_soap.core.claims import EMAIL, GIVEN_NAME
from recovery_soap.core.env import Env
from recovery_soap.core.errors import NotificationFailed
from recovery_soap.core.model import MessageKind, NotificationData, OutgoingMessage, User
from recovery_soap.core.ports import UnitOfWork


def deliver(
    env: Env, uow: UnitOfWork, user: User, kind: MessageKind, secret: str
) -> NotificationData | None:
    """Queue ``kind`` for the user's e-mail address, or hand it back when sending is external.

    ``secret`` is what the user must receive: a code, or the username for account-id recovery.
    """
    claims = uow.users.claims(user)
    address = (claims.get(EMAIL) or "").strip()
    if not address:
        raise NotificationFailed(f"No e-mail address to notify user : {user.username}")
    first_name = claims.get(GIVEN_NAME)
    if env.policy.notifications_external:
        return NotificationData(
            code=secret, address=address, user_id=user.username, first_name=first_name,
            domain=user.tenant.domain, kind=kind,
        )
    variables = {
        "first-name": first_name or user.username,
        "user-name": user.username,
        "confirmation-code": secret,
        "tenant-domain": user.tenant.domain,
        "userstore-domain": "PRIMARY",
    }
    subject, body = env.render_message(kind, variables)
    uow.outbox.enqueue(
        OutgoingMessage(
            tenant_id=user.tenant.id, kind=kind, recipient=address, subject=subject, body=body
        ),
        env.clock.now(),
    )
    return None
