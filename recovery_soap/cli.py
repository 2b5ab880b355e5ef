"""The ``recovery-soap`` command line: serving, set-up and administration."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from recovery_soap import logs
from recovery_soap.config import Settings, SettingsError, load_settings

EXIT_USAGE = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
EMAIL_CLAIM = "http://wso2.org/claims/emailaddress"


class CommandError(Exception):
    """An expected failure of a command: printed as one line, exit status EXIT_FAILED."""


class Parser(argparse.ArgumentParser):
    """Usage mistakes in one line (the command's --help has the rest)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"recovery-soap: {message} (see {self.prog} --help)\n")


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(config_file=getattr(args, "config", None))
    if getattr(args, "bootstrap_account", None):
        settings = settings.replace(bootstrap_account=args.bootstrap_account)
    return settings


#: Engines the running command opened, closed when it ends (no connection left to the GC).
_ENGINES: list[Any] = []


def _env(settings: Settings) -> Any:
    from recovery_soap.app import build_env, prepare_database

    engine = prepare_database(settings)
    _ENGINES.append(engine)
    return build_env(settings, engine)


def _secret(args: argparse.Namespace, prompt: str) -> str:
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for the password: pipe it in with --password-stdin")
    return getpass.getpass(prompt)


def _permissions(text: str) -> frozenset[Any]:
    """Comma-separated rights in either spelling; an unknown name is a usage error."""
    from recovery_soap.core.authorisation import parse_rights
    from recovery_soap.core.errors import BadRequest

    try:
        return parse_rights(text.split(","))
    except BadRequest as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _print(args: argparse.Namespace, data: Any, lines: Sequence[str]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, default=str))
    else:
        for line in lines:
            print(line)


# --- serve -------------------------------------------------------------------------------------

DEMO_ACCOUNT = "demo"


def _ensure_first_account(env: Any) -> None:
    """On a database without service accounts, create a demo one and print its secret once."""
    from recovery_soap.core import admin, callers
    from recovery_soap.core.model import SUPER_TENANT
    from recovery_soap.core.secrets import new_secret

    with env.uow() as uow:
        if uow.accounts.count():
            return
        secret = new_secret()
        callers.put_account(
            env,
            uow,
            DEMO_ACCOUNT,
            secret,
            admin.tenant(uow, SUPER_TENANT),
            callers.ALL_PERMISSIONS,
        )
        uow.commit()
    logging.getLogger("recovery_soap").warning(
        "Created the service account '%s' with the password:\n\n    %s\n\n"
        "It is shown only this once. Callers use it with HTTP Basic authentication.",
        DEMO_ACCOUNT,
        secret,
    )


def _ensure_port_free(host: str, port: int) -> None:
    """Refuse a port that is taken before anything is announced or started (the servers would
    otherwise print their banner first and fail with a traceback)."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise CommandError(f"cannot listen on {host}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            reason = "is in use" if error.errno == errno.EADDRINUSE else f"fails: {error.strerror}"
            raise CommandError(
                f"port {port} on {host} {reason}: choose another with --port"
            ) from None


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _with_public_url(_settings(args), args.host, args.port)
    if args.dev:
        settings = settings.for_development()
    logs.configure(settings.log_level, settings.log_format)
    _warn_unknown_variables()
    if args.dev:
        logging.getLogger("recovery_soap").warning(
            "DEVELOPMENT MODE (never in production): captcha off, mail printed here, "
            "service account %s",
            settings.bootstrap_account,
        )
    _ensure_port_free(args.host, args.port)
    if args.workers > 1:
        return _serve_gunicorn(settings, args)
    import waitress

    from recovery_soap.app import create_app

    app = create_app(settings)
    _ensure_first_account(app.env)
    app.dispatcher.start_background()
    logging.getLogger("recovery_soap").info(
        "Serving on http://%s:%s/services/UserInformationRecoveryService", args.host, args.port
    )
    if settings.pages:
        logging.getLogger("recovery_soap").info(
            "Self-service pages: http://%s:%s/accountrecoveryendpoint/recoverpassword.do",
            args.host,
            args.port,
        )
    # waitress strips X-Forwarded-* unless told to keep them; the app decides (trusted_proxies).
    waitress.serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        ident="recovery-soap",
        clear_untrusted_proxy_headers=not app.soap.proxies,
        # waitress reads a whole body before the application sees the request, up to 1 GiB by
        # default: refuse what no face accepts (the faces answer their own 413 up to the margin).
        max_request_body_size=max(settings.max_body_bytes, settings.rest_max_body_bytes) + 65536,
    )
    return 0


def _with_public_url(settings: Settings, host: str, port: int) -> Settings:
    """Mails link to the pages at the address served, unless public_url says otherwise (a
    wildcard address names no host a user can reach: set public_url then)."""
    if settings.public_url or not settings.pages or host in ("0.0.0.0", "::", ""):
        return settings
    shown = f"[{host}]" if ":" in host else host
    return settings.replace(public_url=f"http://{shown}:{port}")


def _serve_gunicorn(settings: Settings, args: argparse.Namespace) -> int:
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        raise CommandError("--workers needs gunicorn: pip install 'recovery-soap[serve]'") from None
    # First: it points the metrics at the directory the workers share before any are made.
    from recovery_soap import gunicorn_settings as production
    from recovery_soap.app import LazyApplication

    # Migrate and create accounts once, in the master, before any worker starts.
    env = _env(settings)
    if settings.bootstrap_account:
        from recovery_soap.app import apply_bootstrap_account

        apply_bootstrap_account(env, settings.bootstrap_account)
    _ensure_first_account(env)
    worker_settings = settings.replace(bootstrap_account="")
    # The master forks workers all its life: it keeps no database connection open meanwhile.
    _ENGINES.pop().dispose()

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            # The production settings (timeouts, recycling, merged metrics, log format), then
            # the command's own address and worker count.
            for key, value in vars(production).items():
                if key in self.cfg.settings and value is not None:
                    self.cfg.set(key, value)
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)

        def load(self) -> Any:
            # Built in each worker on its first request, never in the master: with preload_app
            # a master-built application would hand its database connections to every worker.
            return LazyApplication(worker_settings)

    dispatcher = _start_dispatcher_process(worker_settings)
    try:
        Server().run()
    finally:
        if dispatcher is not None:
            dispatcher.terminate()
            dispatcher.wait(timeout=30)
    return 0


def _start_dispatcher_process(settings: Settings) -> Any:
    """The outbox dispatcher beside gunicorn, as a process of its own: a thread in gunicorn's
    master would be forked into every worker mid-work (an SQLite lock held at a fork is held for
    ever in the child). It gets these very settings through its environment."""
    import os
    import subprocess

    from recovery_soap.config import ENV_PREFIX, FILE_SUFFIX

    if not (settings.smtp_host or settings.mail_transport == "console"):
        return None  # nothing can be delivered; mail waits in the outbox
    environment = {
        name: value
        for name, value in os.environ.items()
        if not (name.startswith(ENV_PREFIX) and name.endswith(FILE_SUFFIX))
    }
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        text = str(value).lower() if isinstance(value, bool) else str(value)
        environment[ENV_PREFIX + field.name.upper()] = text
    environment.pop(ENV_PREFIX + "CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "recovery_soap.cli", "outbox", "run"], env=environment
    )


# --- database, tenants, accounts ---------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from recovery_soap.store import schema
    from recovery_soap.store.db import make_engine, opened

    settings = _settings(args)
    engine = opened(make_engine(settings.database_url))
    _ENGINES.append(engine)
    schema.upgrade(engine)
    revision = schema.current_revision(engine)
    _print(args, {"revision": revision}, [f"database at revision {revision}"])
    return 0


def cmd_tenant_add(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = _env(_settings(args))
    with env.uow() as uow:
        tenant = admin.add_tenant(uow, args.domain)
        uow.commit()
    _print(args, {"id": tenant.id, "domain": tenant.domain}, [f"tenant {tenant.domain} added"])
    return 0


def cmd_tenant_list(args: argparse.Namespace) -> int:
    env = _env(_settings(args))
    with env.uow() as uow:
        tenants = uow.tenants.all()
    _print(args, [{"id": t.id, "domain": t.domain} for t in tenants], [t.domain for t in tenants])
    return 0


def cmd_tenant_delete(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = _env(_settings(args))
    with env.uow() as uow:
        removed = admin.delete_tenant(env, uow, args.domain, force=args.force)
        uow.commit()
    _print(
        args,
        {"domain": args.domain, "deleted": True, "users_removed": removed},
        [f"tenant {args.domain} deleted ({removed} user(s) removed)"],
    )
    return 0


def cmd_tenant_set(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = _env(_settings(args))
    with env.uow() as uow:
        tenant = admin.tenant(uow, args.domain)
        if args.notify_changes is not None:
            uow.tenants.set_notify_changes(tenant, args.notify_changes == "on")
        if args.self_signup is not None:
            uow.tenants.set_self_signup(tenant, args.self_signup == "on")
        uow.commit()
    _print(args, {"domain": args.domain, "updated": True}, [f"tenant {args.domain} updated"])
    return 0


def cmd_audit_list(args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta

    from recovery_soap.app import prepare_database
    from recovery_soap.core.clock import SystemClock
    from recovery_soap.store.repositories import audit_listing

    engine = prepare_database(_settings(args))
    _ENGINES.append(engine)  # closed when the command ends
    since: datetime | None = None
    if args.since_minutes:
        since = SystemClock().now() - timedelta(minutes=args.since_minutes)
    with engine.connect() as connection:
        events = audit_listing(
            connection,
            tenant=args.tenant,
            username=args.user,
            event=args.event,
            since=since,
            limit=args.limit,
        )
    rows = [dataclasses.asdict(e) for e in events]
    lines = [
        f"{e.at:%Y-%m-%d %H:%M:%S}  {e.event:<22} {e.outcome:<8} {e.tenant or '-':<16} "
        f"{e.username or '-':<24} caller={e.caller or '-'} from={e.client_address or '-'}"
        + (f"  {e.detail}" if e.detail else "")
        for e in events
    ]
    _print(args, rows, lines or ["no audit events"])
    return 0


def cmd_account_add(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin, callers
    from recovery_soap.core.secrets import new_secret

    env = _env(_settings(args))
    permissions = args.permissions
    generated = not args.password_stdin
    secret = new_secret() if generated else _secret(args, "")
    with env.uow() as uow:
        account = callers.put_account(
            env,
            uow,
            args.name,
            secret,
            admin.tenant(uow, args.tenant),
            permissions,
            all_tenants=args.all_tenants,
            scopes=args.scope,
            grants=args.grant,
        )
        uow.commit()
    rights = sorted(p.value for p in account.permissions)
    lines = [
        f"service account {args.name} saved for tenant {args.tenant}; "
        f"rights {' '.join(rights) or '(none: give some with account set)'}"
    ]
    if generated:
        lines.append(f"password (shown once): {secret}")
    _print(
        args,
        {
            "name": args.name,
            "tenant": args.tenant,
            "rights": rights,
            "password": secret if generated else None,
        },
        lines,
    )
    return 0


def cmd_account_set(args: argparse.Namespace) -> int:
    from recovery_soap.core import authorisation, oauth

    given = (args.scope, args.grant, args.no_scopes, args.no_grants, args.permissions)
    if not any(x is not None and x is not False for x in given):
        print(
            "recovery-soap: give --permissions, --scope, --grant, --no-scopes or --no-grants",
            file=sys.stderr,
        )
        return EXIT_USAGE
    env = _env(_settings(args))
    permissions = args.permissions
    with env.uow() as uow:
        account = oauth.change_client(
            uow,
            args.name,
            scopes=[] if args.no_scopes else args.scope,
            grants=[] if args.no_grants else args.grant,
            permissions=permissions,
        )
        uow.commit()
    rights = sorted(p.value for p in account.permissions)
    scopes = sorted(authorisation.scopes_of(account.permissions))
    grants = sorted(account.grants)
    _print(
        args,
        {"name": account.name, "rights": rights, "scopes": scopes, "grants": grants},
        [
            f"service account {account.name}: rights {' '.join(rights) or '(none)'}; "
            f"scopes {' '.join(scopes) or '(none)'}; grants {' '.join(grants) or '(none)'} "
            "(its tokens follow at their next use)"
        ],
    )
    return 0


def cmd_account_delete(args: argparse.Namespace) -> int:
    from recovery_soap.core import oauth

    env = _env(_settings(args))
    with env.uow() as uow:
        oauth.remove_client(uow, args.name)
        uow.commit()
    _print(
        args,
        {"name": args.name, "deleted": True},
        [f"service account {args.name} deleted (its tokens are refused from now on)"],
    )
    return 0


def cmd_account_list(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin, authorisation

    env = _env(_settings(args))
    with env.uow(readonly=True) as uow:
        found = admin.accounts(uow)
    rows = [
        {
            "name": a.name,
            "tenant": a.tenant.domain,
            "permissions": sorted(p.value for p in a.permissions),
            "all_tenants": a.all_tenants,
            "scopes": sorted(authorisation.scopes_of(a.permissions)),
            "grants": sorted(a.grants),
        }
        for a in found
    ]
    lines = [
        f"{a.name}  {a.tenant.domain}  {','.join(sorted(p.value for p in a.permissions)) or '-'}"
        f"  scopes: {' '.join(sorted(authorisation.scopes_of(a.permissions))) or '-'}"
        + ("  (all tenants)" if a.all_tenants else "")
        for a in found
    ]
    _print(args, rows, lines or ["no service accounts"])
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    from recovery_soap.app import prepare_database
    from recovery_soap.core.clock import SystemClock
    from recovery_soap.rest.keys import KeyRing
    from recovery_soap.store.signing_keys import SigningKeyStore

    settings = _settings(args)
    engine = prepare_database(settings)
    try:
        ring = KeyRing(SigningKeyStore(engine), SystemClock(), settings)
        kid = ring.rotate(revoke_previous=args.revoke_previous)
    finally:
        engine.dispose()
    kept = (
        "the previous keys and their tokens are revoked (workers drop them within 30 seconds)"
        if args.revoke_previous
        else f"the previous key stays published for {settings.token_minutes} minutes, until "
        "the tokens it signed expire"
    )
    _print(args, {"kid": kid}, [f"new signing key {kid}; {kept}"])
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from datetime import datetime

    from recovery_soap.app import prepare_database
    from recovery_soap.core.clock import SystemClock
    from recovery_soap.rest.keys import KeyRing
    from recovery_soap.store.signing_keys import SigningKeyStore

    settings = _settings(args)
    engine = prepare_database(settings)
    store = SigningKeyStore(engine)
    try:
        ring = KeyRing(store, SystemClock(), settings)
        published = {k["kid"]: k for k in ring.jwks()["keys"]}
        stored = [k for k in store.listing(datetime.min) if k.kid in published]
    finally:
        engine.dispose()
    # The newest key not retired signs new tokens; the others only verify until they expire.
    signing = next((k.kid for k in stored if k.retired_at is None), None)
    rows = [
        {
            "kid": k.kid,
            "alg": published[k.kid].get("alg"),
            "created_at": k.created_at,
            "retired_at": k.retired_at,
            "signing": k.kid == signing,
        }
        for k in stored
    ]
    lines = [
        f"{k.kid}  {published[k.kid].get('alg')}  created {k.created_at:%Y-%m-%d %H:%M}  "
        + (
            "signing"
            if k.kid == signing
            else f"verifying only (retired {k.retired_at:%Y-%m-%d %H:%M})"
        )
        for k in stored
    ]
    _print(args, rows, lines)
    return 0


# --- users and questions -----------------------------------------------------------------------


def _pairs(values: Sequence[str], what: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise SettingsError(f"{what} must be given as KEY=VALUE: {value!r}")
        pairs.append((key, rest))
    return pairs


def cmd_user_add(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = _env(_settings(args))
    claims = dict(_pairs(args.claim or [], "--claim"))
    password = _secret(args, f"Password for {args.username}: ")
    with env.uow() as uow:
        admin.add_user(env, uow, args.tenant, args.username, password, claims)
        uow.commit()
    _print(
        args,
        {"username": args.username, "tenant": args.tenant},
        [f"user {args.username} added to {args.tenant}"],
    )
    return 0


def cmd_user_set_answers(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = _env(_settings(args))
    chosen = []
    for set_id, rest in _pairs(args.answer, "--answer"):
        question, sep, answer = rest.rpartition("!")
        if not sep:
            raise SettingsError("--answer must be SET_ID=QUESTION!ANSWER")
        chosen.append((set_id, question, answer))
    with env.uow() as uow:
        admin.set_user_answers(env, uow, args.tenant, args.username, chosen)
        uow.commit()
    _print(
        args,
        {"username": args.username, "answers": len(chosen)},
        [f"{len(chosen)} challenge answer(s) set for {args.username}"],
    )
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = _env(_settings(args))
    with env.uow(readonly=True) as uow:
        total, entries = admin.users_page(
            uow,
            args.tenant,
            starts_with=args.starts_with or "",
            email=args.email or "",
            offset=args.offset,
            limit=args.limit,
        )
    rows = [
        {
            "username": e.user.username,
            "email": e.claims.get(EMAIL_CLAIM),
            "locked": e.user.locked,
            "pending_confirmation": e.user.pending_confirmation,
            "created_at": e.created_at,
        }
        for e in entries
    ]
    lines = [
        f"{r['username']}  {r['email'] or '-'}"
        + ("  locked" if r["locked"] else "")
        + ("  unconfirmed" if r["pending_confirmation"] else "")
        for r in rows
    ]
    shown = f"{args.offset + 1}-{args.offset + len(rows)}" if rows else "none"
    lines.append(f"{shown} of {total} user(s) in {args.tenant}")
    _print(args, {"total": total, "offset": args.offset, "users": rows}, lines)
    return 0


def cmd_user_show(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = _env(_settings(args))
    with env.uow() as uow:
        user = admin.find_user(uow, args.tenant, args.username)
        claims = uow.users.claims(user)
        answers = uow.users.answers(user)
        guard = uow.guards.state(user)
    data = {
        "username": user.username,
        "tenant": user.tenant.domain,
        "locked": user.locked,
        "pending_confirmation": user.pending_confirmation,
        "claims": claims,
        "challenge_questions": [{"set": a.set_id, "question": a.question} for a in answers],
        "failed_attempts": guard.failures if guard else 0,
        "recovery_locked_until": guard.locked_until if guard else None,
    }
    lines = [f"{key}: {value}" for key, value in data.items()]
    _print(args, data, lines)
    return 0


def cmd_user_lock(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = _env(_settings(args))
    locked = args.action == "lock"
    admin.set_locked(env, args.tenant, args.username, locked=locked)
    print(f"user {args.username} {'locked' if locked else 'unlocked'}")
    return 0


def cmd_user_delete(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = _env(_settings(args))
    admin.delete_user(env, args.tenant, args.username)
    print(f"user {args.username} deleted")
    return 0


def cmd_questions_list(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = _env(_settings(args))
    with env.uow() as uow:
        questions = uow.questions.for_tenant(admin.tenant(uow, args.tenant))
    _print(
        args,
        [{"set": q.set_id, "question": q.question} for q in questions],
        [f"{q.set_id}  {q.question}" for q in questions],
    )
    return 0


def cmd_questions_add(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin
    from recovery_soap.core.model import Question

    env = _env(_settings(args))
    with env.uow() as uow:
        admin.add_question(
            uow, args.tenant, Question(set_id=args.set_id, question=args.question, order=args.order)
        )
        uow.commit()
    _print(args, {"set": args.set_id, "added": True}, [f"question added to {args.set_id}"])
    return 0


# --- outbox and wsdl ---------------------------------------------------------------------------


def _queue(settings: Settings) -> Any:
    from recovery_soap.app import prepare_database
    from recovery_soap.store.outbox_queue import OutboxQueue
    from recovery_soap.store.sealing import sealer_for

    engine = prepare_database(settings)
    return OutboxQueue(engine, sealer_for(engine, settings.secret_key))


def cmd_outbox_list(args: argparse.Namespace) -> int:
    messages = _queue(_settings(args)).listing(args.status, args.limit)
    rows = [
        {
            "id": m.id,
            "kind": m.kind,
            "recipient": m.recipient,
            "status": m.status,
            "attempts": m.attempts,
            "created_at": m.created_at,
            "sent_at": m.sent_at,
            "next_attempt_at": m.next_attempt_at if m.status == "pending" else None,
            # An error of an earlier attempt is history once the message went out.
            "last_error": m.last_error if m.status != "sent" else None,
        }
        for m in messages
    ]
    lines = [
        f"{r['id']:>6}  {r['status']:<8} {r['kind']:<20} {r['recipient']:<40} "
        f"tries={r['attempts']}"
        + (f"  next={r['next_attempt_at']:%Y-%m-%d %H:%M:%S}" if r["next_attempt_at"] else "")
        + (f"  error={r['last_error']}" if r["last_error"] else "")
        for r in rows
    ]
    _print(args, rows, lines or ["the outbox is empty"])
    return 0


def cmd_outbox_retry(args: argparse.Namespace) -> int:
    from recovery_soap.core.clock import SystemClock

    queue, now = _queue(_settings(args)), SystemClock().now()
    due = 0 if args.id else queue.retry_now(now)
    revived = queue.revive(now, args.id)
    if args.id and not revived:
        raise CommandError(f"no message with id {args.id} in the outbox that can be sent again")
    _print(
        args,
        {"queued": revived, "due_now": due},
        [f"{revived} message(s) queued again; {due} waiting message(s) due now"],
    )
    return 0


def cmd_outbox_purge(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from recovery_soap.core.clock import SystemClock

    statuses = ("sent", "dead") if args.dead_too else ("sent",)
    before = SystemClock().now() - timedelta(days=args.older_than_days)
    removed = _queue(_settings(args)).purge(before, statuses)
    _print(args, {"removed": removed}, [f"{removed} message(s) removed"])
    return 0


def cmd_outbox_run(args: argparse.Namespace) -> int:
    import threading

    from recovery_soap.core.clock import SystemClock
    from recovery_soap.notify.dispatcher import Dispatcher
    from recovery_soap.notify.smtp import sender_for

    settings = _settings(args)
    logs.configure(settings.log_level, settings.log_format)
    sender = sender_for(settings)
    if not sender.configured:
        raise CommandError(
            "no SMTP server configured (RECOVERY_SMTP_HOST): nothing can be delivered"
        )
    where = "the console" if settings.mail_transport == "console" else settings.smtp_host
    logging.getLogger("recovery_soap.outbox").info(
        "delivering the outbox to %s (%s)", where, "one pass" if args.once else "until stopped"
    )
    dispatcher = Dispatcher(_queue(settings), sender, SystemClock(), settings)
    if args.once:
        sent, failed = dispatcher.deliver_due(limit=10_000)
        _print(args, {"sent": sent, "failed": failed}, [f"{sent} sent, {failed} failed"])
        return 0 if failed == 0 else EXIT_FAILED
    stop = threading.Event()
    try:
        dispatcher.run(stop)
    except KeyboardInterrupt:
        stop.set()
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from recovery_soap.config import reference_table

    if args.reference:
        print(reference_table())
        return 0
    settings = _settings(args)  # raises SettingsError when a value is wrong
    _warn_unknown_variables()
    where = settings.database_url.split("@")[-1]
    _print(args, {"valid": True, "database": where}, [f"configuration is valid ({where})"])
    return 0


def _warn_unknown_variables() -> None:
    from recovery_soap.config import unknown_variables

    for warning in unknown_variables():
        print(f"recovery-soap: warning: {warning}", file=sys.stderr)


def cmd_doctor(args: argparse.Namespace) -> int:
    from recovery_soap.doctor import diagnose

    findings = diagnose(_settings(args))
    lines = [
        f"{'ok  ' if f.ok and not f.warning else 'note' if f.ok else 'FAIL'}  {f.name}: {f.message}"
        for f in findings
    ]
    _print(args, [dataclasses.asdict(f) for f in findings], lines)
    return 0 if all(f.ok for f in findings) else EXIT_FAILED


def cmd_wsdl(args: argparse.Namespace) -> int:
    from recovery_soap.soap.wsdl import render_wsdl

    sys.stdout.write(render_wsdl(args.base_url).decode("utf-8"))
    return 0


# --- parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="recovery-soap",
        description="UserInformationRecoveryService: serve it and administer its data. "
        "Settings come from RECOVERY_* environment variables and an optional TOML file.",
    )
    parser.add_argument("--config", help="TOML settings file (also RECOVERY_CONFIG)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Any, help_text: str, under: Any = commands) -> Any:
        sub = under.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--json", action="store_true", help="machine-readable output")
        sub.set_defaults(handler=handler)
        return sub

    def group(name: str, help_text: str) -> Any:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        return sub.add_subparsers(dest="action", required=True, metavar="ACTION")

    serve = command("serve", cmd_serve, "serve the SOAP API (waitress; gunicorn with --workers)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    serve.add_argument("--workers", type=int, default=1, help="processes (>1 uses gunicorn)")
    serve.add_argument(
        "--dev",
        action="store_true",
        help="try it on a laptop: captcha off, mail printed on the console, the service account "
        "demo:demo-secret-for-a-laptop (refused with production settings)",
    )
    serve.add_argument("--threads", type=int, default=8, help="threads of the single process")
    serve.add_argument(
        "--bootstrap-account",
        metavar="NAME:PASSWORD",
        help="create or reset this service account (every right, super tenant)",
    )

    db = group("db", "database schema")
    command("upgrade", cmd_db_upgrade, "migrate the database to the current schema", db)

    tenant = group("tenant", "tenants")
    add = command("add", cmd_tenant_add, "add a tenant with the default question sets", tenant)
    add.add_argument("domain")
    command("list", cmd_tenant_list, "list tenants", tenant)
    remove = command(
        "delete", cmd_tenant_delete, "delete a tenant with its questions and accounts", tenant
    )
    remove.add_argument("domain")
    remove.add_argument(
        "--force", action="store_true", help="delete it even when it has users (they go too)"
    )
    change = command("set", cmd_tenant_set, "change a tenant's settings", tenant)
    change.add_argument("domain")
    change.add_argument(
        "--notify-changes",
        choices=("on", "off"),
        help="mail users after a password change or confirmation",
    )
    change.add_argument(
        "--self-signup",
        choices=("on", "off"),
        help="allow subscriber invitations (the REST subscriber API) in this tenant",
    )

    account = group("account", "service accounts (the applications calling the service)")
    add = command("add", cmd_account_add, "create or update a service account", account)
    add.add_argument("name")
    add.add_argument("--tenant", default="carbon.super")
    add.add_argument(
        "--permissions",
        type=_permissions,
        default="",
        help="comma-separated rights (default none): recover, view, register, login, "
        "subscribe, users_list, users_view, users_create, users_update, users_delete "
        "(or their scope names; docs/authorisation.md)",
    )
    add.add_argument(
        "--all-tenants",
        action="store_true",
        help="may act for any tenant (effective only with RECOVERY_SAAS_MODE)",
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the secret from standard input instead of generating one",
    )
    add.add_argument(
        "--scope",
        action="append",
        metavar="SCOPE",
        help="a right by its OAuth scope name (repeat; default: none)",
    )
    add.add_argument(
        "--grant",
        action="append",
        choices=("client_credentials", "password"),
        help="OAuth grant type it may use (repeat; default: both)",
    )

    change = command(
        "set", cmd_account_set, "change an account's rights or grants (secret kept)", account
    )
    change.add_argument("name")
    change.add_argument(
        "--permissions",
        type=_permissions,
        help="comma-separated rights it keeps (either spelling; replaces them)",
    )
    scoped, granted = change.add_mutually_exclusive_group(), change.add_mutually_exclusive_group()
    scoped.add_argument(
        "--scope",
        action="append",
        metavar="SCOPE",
        help="the rights OAuth spells that it keeps, by scope (repeat; replaces them)",
    )
    scoped.add_argument("--no-scopes", action="store_true", help="withdraw every scope")
    granted.add_argument(
        "--grant",
        action="append",
        choices=("client_credentials", "password"),
        help="the grant types it keeps (repeat; replaces)",
    )
    granted.add_argument("--no-grants", action="store_true", help="withdraw every grant")
    remove = command(
        "delete", cmd_account_delete, "delete a service account; its tokens stop working", account
    )
    remove.add_argument("name")
    command("list", cmd_account_list, "list service accounts and what they may do", account)

    keys = group("keys", "the keys that sign access tokens")
    rotate = command(
        "rotate", cmd_keys_rotate, "sign new tokens with a new key; keep the old a while", keys
    )
    rotate.add_argument(
        "--revoke-previous",
        action="store_true",
        help="drop the previous keys at once: every token they signed stops working (a leak)",
    )
    command("list", cmd_keys_list, "list the published signing keys", keys)

    user = group("user", "users")
    add = command("add", cmd_user_add, "add an active user", user)
    add.add_argument("username")
    add.add_argument("--tenant", default="carbon.super")
    add.add_argument("--claim", action="append", metavar="URI=VALUE")
    add.add_argument("--password-stdin", action="store_true")
    answers = command("set-answers", cmd_user_set_answers, "set a user's challenge answers", user)
    answers.add_argument("username")
    answers.add_argument("--tenant", default="carbon.super")
    answers.add_argument(
        "--answer", action="append", required=True, metavar="SET_ID=QUESTION!ANSWER"
    )

    listing = command("list", cmd_user_list, "list a tenant's users, a page at a time", user)
    listing.add_argument("--tenant", default="carbon.super", help="tenant domain")
    listing.add_argument("--starts-with", help="only user names starting with this")
    listing.add_argument("--email", help="only the user with this e-mail address")
    listing.add_argument("--offset", type=int, default=0, help="users to skip (default: 0)")
    listing.add_argument("--limit", type=int, default=50, help="page size (default: 50)")
    show = command("show", cmd_user_show, "show a user (never a secret)", user)
    show.add_argument("username")
    show.add_argument("--tenant", default="carbon.super")
    for verb, help_text in (
        ("lock", "lock a user (no recovery, no login)"),
        ("unlock", "unlock a user and clear its failed attempts"),
    ):
        change = command(verb, cmd_user_lock, help_text, user)
        change.add_argument("username")
        change.add_argument("--tenant", default="carbon.super")
    remove = command("delete", cmd_user_delete, "delete a user with its claims and codes", user)
    remove.add_argument("username")
    remove.add_argument("--tenant", default="carbon.super")

    questions = group("questions", "challenge questions")
    listing = command("list", cmd_questions_list, "list a tenant's questions", questions)
    listing.add_argument("--tenant", default="carbon.super")
    add = command("add", cmd_questions_add, "add a question to a set", questions)
    add.add_argument("set_id")
    add.add_argument("question")
    add.add_argument("--tenant", default="carbon.super")
    add.add_argument("--order", type=int, default=0)

    outbox = group("outbox", "the notification outbox")
    listing = command("list", cmd_outbox_list, "list queued, sent and dead messages", outbox)
    listing.add_argument("--status", choices=("pending", "sent", "dead"))
    listing.add_argument("--limit", type=int, default=100)
    retry = command(
        "retry",
        cmd_outbox_retry,
        "make waiting messages due now, and queue dead ones (or one) that still hold their "
        "text again (a message given up by the dispatcher lost its text and code: the user "
        "asks for a new one)",
        outbox,
    )
    retry.add_argument("--id", type=int, help="only this message")
    purge = command(
        "purge",
        cmd_outbox_purge,
        "remove delivered messages now (the dispatcher does it after outbox_keep_days)",
        outbox,
    )
    purge.add_argument("--older-than-days", type=int, default=7)
    purge.add_argument("--dead-too", action="store_true", help="also remove dead messages")
    run = command(
        "run",
        cmd_outbox_run,
        "deliver the outbox by SMTP. Any number of dispatchers may run against one database, "
        "on one machine or several: each claims its own messages (an atomic claim; SKIP LOCKED "
        "on PostgreSQL) under a lease of outbox_lease_seconds, renewed while it sends, so the "
        "mail of one that crashed is sent by another within the lease. Delivery is at least "
        "once: only a message in flight at a crash can go out twice. One is enough for most "
        "installations; a second on another machine keeps mail flowing while one is down.",
        outbox,
    )
    run.add_argument("--once", action="store_true", help="one pass, then exit")

    audit = group("audit", "the security audit trail")
    listing = command("list", cmd_audit_list, "list audit events, newest first", audit)
    listing.add_argument("--tenant")
    listing.add_argument("--user")
    listing.add_argument("--event")
    listing.add_argument("--since-minutes", type=int)
    listing.add_argument("--limit", type=int, default=100)

    config = command("config", cmd_config, "check the configuration or print its reference")
    config.add_argument(
        "--reference", action="store_true", help="print every setting as a Markdown table"
    )

    command("doctor", cmd_doctor, "check the database, migrations, SMTP and Redis")

    wsdl = command("wsdl", cmd_wsdl, "print the WSDL")
    wsdl.add_argument("--base-url", default="https://localhost:9443")

    from recovery_soap.importer.commands import add_import_commands

    imports = group("import", "import users from WSO2, a CSV, LDIF or exported file")
    add_import_commands(imports, command)
    from recovery_soap.importer.rehash import add_rehash_command
    from recovery_soap.importer.transfer import add_transfer_commands

    add_transfer_commands(imports, command)

    add_rehash_command(command)
    _fill_common_help(parser)
    return parser


#: Help of the options many commands share, written once.
COMMON_HELP = {
    "tenant": "tenant domain (default: carbon.super)",
    "claim": "a claim of the user (repeat)",
    "password_stdin": "read the password from standard input instead of a terminal prompt",
    "answer": "a challenge answer: question set URI, '=', the question, '!', the answer (repeat)",
    "order": "position of the question in its set (default: 0)",
    "status": "only messages in this state",
    "limit": "at most this many rows (default: 100)",
    "older_than_days": "only messages older than this many days (default: 7)",
    "user": "only events of this user name",
    "event": "only events of this kind (e.g. password_changed)",
    "since_minutes": "only events of the last N minutes",
    "base_url": "address the WSDL's endpoints name (default: https://localhost:9443)",
}


def _fill_common_help(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if action.option_strings and not action.help and action.dest in COMMON_HELP:
            action.help = COMMON_HELP[action.dest]
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _fill_common_help(sub)


def _fail(message: object, status: int) -> int:
    print(f"recovery-soap: {message}", file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Expected failures are one line on stderr with a documented status:
    2 for a usage or configuration mistake, 1 for a command that could not do its work, 130 when
    interrupted. Anything else is a defect and keeps its traceback."""
    args = build_parser().parse_args(argv)
    from recovery_soap.core.errors import RecoveryError, RequestRefused, Unavailable
    from recovery_soap.store.schema import SchemaOutdated

    try:
        return int(args.handler(args))
    except (SettingsError, SchemaOutdated) as error:
        return _fail(error, EXIT_USAGE)
    except (RecoveryError, RequestRefused) as error:
        return _fail(error.message, EXIT_FAILED)
    except (Unavailable, CommandError) as error:
        return _fail(error, EXIT_FAILED)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    finally:
        while _ENGINES:
            _ENGINES.pop().dispose()


if __name__ == "__main__":
    sys.exit(main())
