"""The ``recovery-soap`` command line: serving, set-up and administration."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import sys
from collections.abc import Sequence
from typing import Any

from recovery_soap import logs
from recovery_soap.config import Settings, SettingsError, load_settings

EXIT_USAGE = 2
EXIT_FAILED = 1


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
    return getpass.getpass(prompt)


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
        callers.put_account(env, uow, DEMO_ACCOUNT, secret, admin.tenant(uow, SUPER_TENANT))
        uow.commit()
    print(
        f"Created the service account '{DEMO_ACCOUNT}' with the password:\n\n    {secret}\n\n"
        "It is shown only this once. Callers use it with HTTP Basic authentication.",
        flush=True,
    )


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    logs.configure(settings.log_level, settings.log_format)
    if args.workers > 1:
        return _serve_gunicorn(settings, args)
    import waitress

    from recovery_soap.app import create_app

    app = create_app(settings)
    _ensure_first_account(app.env)
    app.dispatcher.start_background()
    print(
        f"Serving on http://{args.host}:{args.port}/services/UserInformationRecoveryService",
        flush=True,
    )
    # waitress strips X-Forwarded-* unless told to keep them; the app decides (trust_proxy).
    waitress.serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        ident="recovery-soap",
        clear_untrusted_proxy_headers=not settings.trust_proxy,
    )
    return 0


def _serve_gunicorn(settings: Settings, args: argparse.Namespace) -> int:
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        print("--workers needs gunicorn: pip install 'recovery-soap[serve]'", file=sys.stderr)
        return EXIT_FAILED
    from recovery_soap.app import create_app, prepare_database
    from recovery_soap.notify.dispatcher import Dispatcher

    # Migrate and create accounts once, in the master, before any worker starts.
    env = _env(settings)
    if settings.bootstrap_account:
        from recovery_soap.app import apply_bootstrap_account

        apply_bootstrap_account(env, settings.bootstrap_account)
    _ensure_first_account(env)
    worker_settings = settings.replace(bootstrap_account="")

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("when_ready", lambda _server: _start_dispatcher())

        def load(self) -> Any:
            return create_app(worker_settings)

    def _start_dispatcher() -> None:
        from recovery_soap.core.clock import SystemClock
        from recovery_soap.notify.smtp import SmtpSender
        from recovery_soap.store.outbox_queue import OutboxQueue

        engine = prepare_database(settings)
        Dispatcher(
            OutboxQueue(engine), SmtpSender(settings), SystemClock(), settings
        ).start_background()

    Server().run()
    return 0


# --- database, tenants, accounts ---------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from recovery_soap.store import schema
    from recovery_soap.store.db import make_engine

    settings = _settings(args)
    engine = make_engine(settings.database_url)
    schema.upgrade(engine)
    print(f"database at revision {schema.current_revision(engine)}")
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
    print(f"tenant {args.domain} updated")
    return 0


def cmd_audit_list(args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta

    from recovery_soap.app import prepare_database
    from recovery_soap.core.clock import SystemClock
    from recovery_soap.store.repositories import audit_listing

    engine = prepare_database(_settings(args))
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
    from recovery_soap.core.model import Permission
    from recovery_soap.core.secrets import new_secret

    env = _env(_settings(args))
    permissions = [Permission(p.strip()) for p in args.permissions.split(",") if p.strip()]
    generated = not args.password_stdin
    secret = new_secret() if generated else _secret(args, "")
    with env.uow() as uow:
        callers.put_account(
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
    lines = [f"service account {args.name} saved for tenant {args.tenant}"]
    if generated:
        lines.append(f"password (shown once): {secret}")
    _print(
        args,
        {"name": args.name, "tenant": args.tenant, "password": secret if generated else None},
        lines,
    )
    return 0


def cmd_account_set(args: argparse.Namespace) -> int:
    from recovery_soap.core import oauth

    if not (args.scope or args.grant or args.no_scopes or args.no_grants):
        print("recovery-soap: give --scope, --grant, --no-scopes or --no-grants", file=sys.stderr)
        return EXIT_USAGE
    env = _env(_settings(args))
    with env.uow() as uow:
        account = oauth.change_client(
            uow,
            args.name,
            scopes=[] if args.no_scopes else args.scope,
            grants=[] if args.no_grants else args.grant,
        )
        uow.commit()
    scopes, grants = sorted(account.scopes), sorted(account.grants)
    _print(
        args,
        {"name": account.name, "scopes": scopes, "grants": grants},
        [
            f"service account {account.name}: scopes {' '.join(scopes) or '(none)'}; "
            f"grants {' '.join(grants) or '(none)'} (its tokens follow at their next use)"
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
    from recovery_soap.app import prepare_database
    from recovery_soap.core.clock import SystemClock
    from recovery_soap.rest.keys import KeyRing
    from recovery_soap.store.signing_keys import SigningKeyStore

    settings = _settings(args)
    engine = prepare_database(settings)
    try:
        published = KeyRing(SigningKeyStore(engine), SystemClock(), settings).jwks()["keys"]
    finally:
        engine.dispose()
    _print(args, published, [f"{k['kid']}  {k['alg']}" for k in published])
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
    with env.uow() as uow:
        user = admin.find_user(uow, args.tenant, args.username)
        uow.users.set_lock(user, locked=locked, pending=user.pending_confirmation and locked)
        if not locked:
            uow.guards.clear(user)
        uow.commit()
    print(f"user {args.username} {'locked' if locked else 'unlocked'}")
    return 0


def cmd_user_delete(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = _env(_settings(args))
    with env.uow() as uow:
        uow.users.delete(admin.find_user(uow, args.tenant, args.username))
        uow.commit()
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
    print(f"question added to {args.set_id}")
    return 0


# --- outbox and wsdl ---------------------------------------------------------------------------


def _queue(settings: Settings) -> Any:
    from recovery_soap.app import prepare_database
    from recovery_soap.store.outbox_queue import OutboxQueue

    return OutboxQueue(prepare_database(settings))


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
            "last_error": m.last_error,
        }
        for m in messages
    ]
    lines = [
        f"{m.id:>6}  {m.status:<8} {m.kind:<20} {m.recipient:<40} tries={m.attempts}"
        + (f"  error={m.last_error}" if m.last_error else "")
        for m in messages
    ]
    _print(args, rows, lines or ["the outbox is empty"])
    return 0


def cmd_outbox_retry(args: argparse.Namespace) -> int:
    from recovery_soap.core.clock import SystemClock

    revived = _queue(_settings(args)).revive(SystemClock().now(), args.id)
    print(f"{revived} message(s) queued again")
    return 0


def cmd_outbox_purge(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from recovery_soap.core.clock import SystemClock

    statuses = ("sent", "dead") if args.dead_too else ("sent",)
    before = SystemClock().now() - timedelta(days=args.older_than_days)
    removed = _queue(_settings(args)).purge(before, statuses)
    print(f"{removed} message(s) removed")
    return 0


def cmd_outbox_run(args: argparse.Namespace) -> int:
    import threading

    from recovery_soap.core.clock import SystemClock
    from recovery_soap.notify.dispatcher import Dispatcher
    from recovery_soap.notify.smtp import SmtpSender

    settings = _settings(args)
    logs.configure(settings.log_level, settings.log_format)
    sender = SmtpSender(settings)
    if not sender.configured:
        print(
            "no SMTP server configured (RECOVERY_SMTP_HOST): nothing can be delivered",
            file=sys.stderr,
        )
        return EXIT_FAILED
    dispatcher = Dispatcher(_queue(settings), sender, SystemClock(), settings)
    if args.once:
        sent, failed = dispatcher.deliver_due(limit=10_000)
        print(f"{sent} sent, {failed} failed")
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
    print(f"configuration is valid (database: {settings.database_url.split('@')[-1]})")
    return 0


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
    parser = argparse.ArgumentParser(
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
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="processes (>1 uses gunicorn)")
    serve.add_argument("--threads", type=int, default=8, help="threads of the single process")
    serve.add_argument(
        "--bootstrap-account",
        metavar="NAME:PASSWORD",
        help="create or reset this service account (all permissions, super tenant)",
    )

    db = group("db", "database schema")
    command("upgrade", cmd_db_upgrade, "migrate the database to the current schema", db)

    tenant = group("tenant", "tenants")
    add = command("add", cmd_tenant_add, "add a tenant with the default question sets", tenant)
    add.add_argument("domain")
    command("list", cmd_tenant_list, "list tenants", tenant)
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
        default="recover,view,register",
        help="comma-separated: recover, view, register",
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
        help="OAuth scope its tokens may carry (repeat; default: every scope)",
    )
    add.add_argument(
        "--grant",
        action="append",
        choices=("client_credentials", "password"),
        help="OAuth grant type it may use (repeat; default: both)",
    )

    change = command(
        "set", cmd_account_set, "change an account's OAuth scopes or grants (secret kept)", account
    )
    change.add_argument("name")
    scoped, granted = change.add_mutually_exclusive_group(), change.add_mutually_exclusive_group()
    scoped.add_argument(
        "--scope", action="append", metavar="SCOPE", help="the scopes it keeps (repeat; replaces)"
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
    retry = command("retry", cmd_outbox_retry, "queue dead messages (or one) again", outbox)
    retry.add_argument("--id", type=int, help="only this message")
    purge = command("purge", cmd_outbox_purge, "remove delivered messages", outbox)
    purge.add_argument("--older-than-days", type=int, default=7)
    purge.add_argument("--dead-too", action="store_true", help="also remove dead messages")
    run = command("run", cmd_outbox_run, "deliver the outbox by SMTP", outbox)
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from recovery_soap.core.errors import RecoveryError, RequestRefused
    from recovery_soap.store.schema import SchemaOutdated

    try:
        return int(args.handler(args))
    except (SettingsError, SchemaOutdated) as error:
        print(f"recovery-soap: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (RecoveryError, RequestRefused) as error:
        print(f"recovery-soap: {error.message}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        while _ENGINES:
            _ENGINES.pop().dispose()


if __name__ == "__main__":
    sys.exit(main())
