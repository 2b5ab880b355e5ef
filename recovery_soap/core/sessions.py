"""Login sessions of service accounts: legacy callers log in once through AuthenticationAdmin and
send the session cookie on every later SOAP call instead of HTTP Basic.

A session runs as the same caller HTTP Basic gives (core.callers). It ends on logout, after
``policy.session_idle`` without a request, at ``policy.session_lifetime`` after login, and as soon
as its account is changed or deleted (a digest of the account at login must still match). Only a
keyed hash of the session id is stored, so a database dump yields no usable session. A failed login
is audited and counted against the client address exactly like a failed Basic login; logins,
logouts and ended sessions are audited too.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from datetime import datetime, timedelta
from typing import Any

from recovery_soap.core import callers
from recovery_soap.core.model import AuditEvent, Caller, CallerSession, ServiceAccount
from recovery_soap.core.ports import UnitOfWork
from recovery_soap.core.services import Services

SESSION_LABEL = "caller-session"
STATE_LABEL = "caller-session-account"
EVENT = "caller_session"
#: last_seen_at is written at most this often: idle time is measured to within it.
TOUCH_EVERY = timedelta(minutes=1)


def _plain(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(str(v) for v in value)
    return str(value)


def account_state(env: Services, account: ServiceAccount) -> str:
    """A digest of everything the account is (secret, tenant, grants...): any change alters it."""
    text = json.dumps(dataclasses.asdict(account), sort_keys=True, default=_plain)
    return env.keyed.exact_digest(STATE_LABEL, text)


def _account_for_login(env: Services, username: str, password: str) -> ServiceAccount | None:
    """The account ``name`` or ``name@tenant`` (the account's own tenant) with this secret."""
    account = callers.verified_account(env, username, password)
    if account is None and "@" in username:
        name, _, domain = username.rpartition("@")
        account = callers.verified_account(env, name, password)
        if account is not None and account.tenant.domain.lower() != domain.strip().lower():
            return None
    return account


def _audit(
    env: Services,
    uow: UnitOfWork,
    outcome: str,
    account: str,
    address: str,
    detail: str | None = None,
) -> None:
    uow.audit.record(
        AuditEvent(
            at=env.clock.now(),
            event=EVENT,
            outcome=outcome,
            caller=account[:255],
            client_address=address,
            detail=detail,
        )
    )


def _reported(address: str | None) -> str | None:
    """The address the caller says its user came from, when it is one (legacy remoteAddress)."""
    try:
        return f"remote address {ipaddress.ip_address((address or '').strip())}"
    except ValueError:
        return None


def log_in(
    env: Services,
    username: str | None,
    password: str | None,
    client_address: str,
    reported: str | None,
) -> str | None:
    """A new session id for the service account, or None (unknown name, wrong secret alike)."""
    given = (username or "").strip()
    account = _account_for_login(env, given, password or "") if given and password else None
    if account is None:
        callers.record_auth_failure(env, given, client_address)
        return None
    session_id = env.random.secret()
    now = env.clock.now()
    session = CallerSession(
        id_hash=env.keyed.exact_digest(SESSION_LABEL, session_id),
        account=account.name,
        account_state=account_state(env, account),
        created_at=now,
        last_seen_at=now,
        expires_at=now + env.policy.session_lifetime,
        client_address=client_address,
    )
    with env.uow() as uow:
        uow.sessions.end_stale(now - env.policy.session_idle, now)
        uow.sessions.open(session)
        _audit(env, uow, "opened", account.name, client_address, _reported(reported))
        uow.commit()
    return session_id


def _why_ended(
    env: Services, session: CallerSession, account: ServiceAccount | None, now: datetime
) -> str | None:
    if account is None:
        return "ended: account deleted"
    if not env.keyed.same(session.account_state, account_state(env, account)):
        return "ended: account changed"
    if now >= session.expires_at:
        return "expired: lifetime"
    if now - session.last_seen_at >= env.policy.session_idle:
        return "expired: idle"
    return None


def caller_of(env: Services, session_id: str, client_address: str) -> Caller | None:
    """The caller of a live session, or None; a session found dead is removed and audited."""
    id_hash = env.keyed.exact_digest(SESSION_LABEL, session_id)
    now = env.clock.now()
    with env.uow(readonly=True) as uow:
        session = uow.sessions.get(id_hash)
        account = uow.accounts.get(session.account) if session is not None else None
    if session is None:
        return None
    ended = _why_ended(env, session, account, now)
    if ended is not None or account is None:
        outcome, _, detail = (ended or "").partition(": ")
        with env.uow() as uow:
            uow.sessions.end(id_hash)
            _audit(env, uow, outcome, session.account, client_address, detail)
            uow.commit()
        return None
    if now - session.last_seen_at >= TOUCH_EVERY:
        with env.uow() as uow:
            uow.sessions.touch(id_hash, now)
            uow.commit()
    return callers.caller_for(account, client_address)


def log_out(env: Services, session_id: str | None, client_address: str) -> None:
    """End the session at once (an unknown or already ended one is no error)."""
    if not session_id:
        return
    id_hash = env.keyed.exact_digest(SESSION_LABEL, session_id)
    with env.uow() as uow:
        session = uow.sessions.get(id_hash)
        if session is not None and uow.sessions.end(id_hash):
            _audit(env, uow, "closed", session.account, client_address)
        uow.commit()
