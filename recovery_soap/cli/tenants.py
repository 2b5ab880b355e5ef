"""``recovery-soap tenant``: tenants and their settings."""

from __future__ import annotations

import argparse

from recovery_soap.cli.common import emit, open_env, settings_for
from recovery_soap.cli.parser import Commands


def cmd_tenant_add(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = open_env(settings_for(args))
    with env.uow() as uow:
        tenant = admin.add_tenant(uow, args.domain)
        uow.commit()
    emit(args, {"id": tenant.id, "domain": tenant.domain}, [f"tenant {tenant.domain} added"])
    return 0


def cmd_tenant_list(args: argparse.Namespace) -> int:
    env = open_env(settings_for(args))
    with env.uow() as uow:
        tenants = uow.tenants.all()
    emit(args, [{"id": t.id, "domain": t.domain} for t in tenants], [t.domain for t in tenants])
    return 0


def cmd_tenant_delete(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = open_env(settings_for(args))
    with env.uow() as uow:
        removed = admin.delete_tenant(env, uow, args.domain, force=args.force)
        uow.commit()
    emit(
        args,
        {"domain": args.domain, "deleted": True, "users_removed": removed},
        [f"tenant {args.domain} deleted ({removed} user(s) removed)"],
    )
    return 0


def cmd_tenant_set(args: argparse.Namespace) -> int:
    from recovery_soap.core import admin

    env = open_env(settings_for(args))
    with env.uow() as uow:
        tenant = admin.tenant(uow, args.domain)
        if args.notify_changes is not None:
            uow.tenants.set_notify_changes(tenant, args.notify_changes == "on")
        if args.self_signup is not None:
            uow.tenants.set_self_signup(tenant, args.self_signup == "on")
        uow.commit()
    emit(args, {"domain": args.domain, "updated": True}, [f"tenant {args.domain} updated"])
    return 0


def register(commands: Commands) -> None:
    tenant = commands.group("tenant", "tenants")
    add = tenant.command("add", cmd_tenant_add, "add a tenant with the default question sets")
    add.add_argument("domain")
    tenant.command("list", cmd_tenant_list, "list tenants")
    remove = tenant.command(
        "delete", cmd_tenant_delete, "delete a tenant with its questions and accounts"
    )
    remove.add_argument("domain")
    remove.add_argument(
        "--force", action="store_true", help="delete it even when it has users (they go too)"
    )
    change = tenant.command("set", cmd_tenant_set, "change a tenant's settings")
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
