"""Migration 0004 on a database with data: existing accounts keep SOAP and get no OAuth access,
tenants allow invitations, no signing key exists until the REST face first needs one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select, text

from recovery_soap.store import schema
from recovery_soap.store.db import make_engine
from recovery_soap.store.models import ServiceAccountRow, SigningKeyRow, TenantRow


def test_upgrade_to_0004_keeps_accounts_without_oauth_access(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        schema.upgrade(engine, "0003")
        accounts, tenants = ServiceAccountRow.__table__, TenantRow.__table__
        with engine.begin() as connection:
            tenant_id = connection.execute(
                select(tenants.c.id).where(tenants.c.domain == "carbon.super")
            ).scalar_one()
            # The 0003 schema, written as it was: the model's new columns do not exist yet.
            connection.execute(
                text(
                    "INSERT INTO service_accounts (name, tenant_id, secret_hash, permissions,"
                    " all_tenants, created_at) VALUES ('legacy-app', :tenant, :hash, 'recover',"
                    " false, :at)"
                ),
                {"tenant": tenant_id, "hash": "0" * 64, "at": datetime(2026, 1, 1)},
            )
        schema.upgrade(engine)
        with engine.connect() as connection:
            row = connection.execute(
                select(accounts.c.scopes, accounts.c.grants, accounts.c.permissions).where(
                    accounts.c.name == "legacy-app"
                )
            ).one()
            self_signup = connection.execute(
                select(tenants.c.self_signup).where(tenants.c.id == tenant_id)
            ).scalar_one()
            keys = connection.execute(select(SigningKeyRow.__table__.c.kid)).all()
        assert (row.scopes, row.grants, row.permissions) == ("", "", "recover")
        assert self_signup is True
        assert keys == []
    finally:
        engine.dispose()


def test_0004_downgrades_cleanly(tmp_path: Path) -> None:
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'down.db'}")
    try:
        schema.upgrade(engine)
        config = schema._config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0003")
        assert schema.current_revision(engine) == "0003"
        schema.upgrade(engine)
        assert schema.current_revision(engine) == schema.head_revision()
    finally:
        engine.dispose()
