"""``recovery-soap user`` and ``questions``: users, and the challenge questions they answer."""

from __future__ import annotations

import argparse

from recovery_soap.cli.common import (
    EMAIL_CLAIM,
    emit,
    open_env,
    pairs,
    read_secret,
    settings_for,
)
from recovery_soap.cli.parser import Commands
from recovery_soap.config import SettingsError


def cmd_user_add(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = open_env(settings_for(args))
    claims = dict(pairs(args.claim or [], "--claim"))
    password = read_secret(args, f"Password for {args.username}: ")
    with env.uow() as uow:
        admin.add_user(env, uow, args.tenant, args.username, password, claims)
        uow.commit()
    emit(
        args,
        {"username": args.username, "tenant": args.tenant},
        [f"user {args.username} added to {args.tenant}"],
    )
    return 0


def cmd_user_set_answers(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = open_env(settings_for(args))
    chosen = []
    for set_id, rest in pairs(args.answer, "--answer"):
        question, sep, answer = rest.rpartition("!")
        if not sep:
            raise SettingsError("--answer must be SET_ID=QUESTION!ANSWER")
        chosen.append((set_id, question, answer))
    with env.uow() as uow:
        admin.set_user_answers(env, uow, args.tenant, args.username, chosen)
        uow.commit()
    emit(
        args,
        {"username": args.username, "answers": len(chosen)},
        [f"{len(chosen)} challenge answer(s) set for {args.username}"],
    )
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = open_env(settings_for(args))
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
    emit(args, {"total": total, "offset": args.offset, "users": rows}, lines)
    return 0


def cmd_user_show(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = open_env(settings_for(args))
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
    emit(args, data, lines)
    return 0


def cmd_user_lock(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = open_env(settings_for(args))
    locked = args.action == "lock"
    admin.set_locked(env, args.tenant, args.username, locked=locked)
    print(f"user {args.username} {'locked' if locked else 'unlocked'}")
    return 0


def cmd_user_delete(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = open_env(settings_for(args))
    admin.delete_user(env, args.tenant, args.username)
    print(f"user {args.username} deleted")
    return 0


def cmd_questions_list(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = open_env(settings_for(args))
    with env.uow() as uow:
        questions = uow.questions.for_tenant(admin.tenant(uow, args.tenant))
    emit(
        args,
        [{"set": q.set_id, "question": q.question} for q in questions],
        [f"{q.set_id}  {q.question}" for q in questions],
    )
    return 0


def cmd_questions_add(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin
    from recovery_soap.core.model import Question

    env = open_env(settings_for(args))
    with env.uow() as uow:
        admin.add_question(
            uow, args.tenant, Question(set_id=args.set_id, question=args.question, order=args.order)
        )
        uow.commit()
    emit(args, {"set": args.set_id, "added": True}, [f"question added to {args.set_id}"])
    return 0


def register(commands: Commands) -> None:
    _register_users(commands.group("user", "users"))
    questions = commands.group("questions", "challenge questions")
    listing = questions.command("list", cmd_questions_list, "list a tenant's questions")
    listing.add_argument("--tenant", default="carbon.super")
    add = questions.command("add", cmd_questions_add, "add a question to a set")
    add.add_argument("set_id")
    add.add_argument("question")
    add.add_argument("--tenant", default="carbon.super")
    add.add_argument("--order", type=int, default=0)


def _register_users(user: Commands) -> None:
    add = user.command("add", cmd_user_add, "add an active user")
    add.add_argument("username")
    add.add_argument("--tenant", default="carbon.super")
    add.add_argument("--claim", action="append", metavar="URI=VALUE")
    add.add_argument("--password-stdin", action="store_true")
    answers = user.command("set-answers", cmd_user_set_answers, "set a user's challenge answers")
    answers.add_argument("username")
    answers.add_argument("--tenant", default="carbon.super")
    answers.add_argument(
        "--answer", action="append", required=True, metavar="SET_ID=QUESTION!ANSWER"
    )
    listing = user.command("list", cmd_user_list, "list a tenant's users, a page at a time")
    listing.add_argument("--tenant", default="carbon.super", help="tenant domain")
    listing.add_argument("--starts-with", help="only user names starting with this")
    listing.add_argument("--email", help="only the user with this e-mail address")
    listing.add_argument("--offset", type=int, default=0, help="users to skip (default: 0)")
    listing.add_argument("--limit", type=int, default=50, help="page size (default: 50)")
    show = user.command("show", cmd_user_show, "show a user (never a secret)")
    show.add_argument("username")
    show.add_argument("--tenant", default="carbon.super")
    for verb, help_text in (
        ("lock", "lock a user (no recovery, no login)"),
        ("unlock", "unlock a user and clear its failed attempts"),
    ):
        change = user.command(verb, cmd_user_lock, help_text)
        change.add_argument("username")
        change.add_argument("--tenant", default="carbon.super")
    remove = user.command("delete", cmd_user_delete, "delete a user with its claims and codes")
    remove.add_argument("username")
    remove.add_argument("--tenant", default="carbon.super")
