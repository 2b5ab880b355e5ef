"""``recovery-soap account``: the service accounts of the applications calling the service."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from recovery_soap.cli.common import EXIT_USAGE, emit, open_env, read_secret, settings_for
from recovery_soap.cli.parser import Commands


def _permissions(text: str) -> frozenset[Any]:
    """Comma-separated rights in either spelling; an unknown name is a usage error."""
    from recovery_soap.core.authorisation import parse_rights
    from recovery_soap.core.errors import BadRequest

    try:
        return parse_rights(text.split(","))
    except BadRequest as error:
        raise argparse.ArgumentTypeError(error.message) from None


def cmd_account_add(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin, callers
    from recovery_soap.core.code_secrets import new_secret

    env = open_env(settings_for(args))
    permissions = args.permissions
    generated = not args.password_stdin
    secret = new_secret() if generated else read_secret(args, "")
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
    emit(
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
    env = open_env(settings_for(args))
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
    emit(
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

    env = open_env(settings_for(args))
    with env.uow() as uow:
        oauth.remove_client(uow, args.name)
        uow.commit()
    emit(
        args,
        {"name": args.name, "deleted": True},
        [f"service account {args.name} deleted (its tokens are refused from now on)"],
    )
    return 0


def cmd_account_list(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin, authorisation

    env = open_env(settings_for(args))
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
    emit(args, rows, lines or ["no service accounts"])
    return 0


def register(commands: Commands) -> None:
    account = commands.group("account", "service accounts (the applications calling the service)")
    _register_add(account)
    _register_set(account)
    remove = account.command(
        "delete", cmd_account_delete, "delete a service account; its tokens stop working"
    )
    remove.add_argument("name")
    account.command("list", cmd_account_list, "list service accounts and what they may do")


def _register_add(account: Commands) -> None:
    add = account.command("add", cmd_account_add, "create or update a service account")
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


def _register_set(account: Commands) -> None:
    change = account.command(
        "set", cmd_account_set, "change an account's rights or grants (secret kept)"
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
