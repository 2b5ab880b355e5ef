"""Migration 0004 on a database with data: existing accounts keep SOAP and get no OAuth access,
tenants allow invitations, no signing key exists until the REST face first needs one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select, text

from recovery_soap.store import schema
from recovery_soap.store.db import make_engine
from recovery_soap.store.models import SigningKeyRow, TenantRow


def test_upgrade_to_0004_keeps_accounts_without_oauth_access(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        schema.upgrade(engine, "0003")
        tenants = TenantRow.__table__
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
        schema.upgrade(engine, "0004")
        with engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT scopes, grants, permissions FROM service_accounts"
                    " WHERE name = 'legacy-app'"
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


def test_0006_folds_scopes_into_rights_without_the_old_implicit_everything(
    tmp_path: Path,
) -> None:
    every_scope = (
        "apim:subscribe internal_login internal_user_mgt_create internal_user_mgt_delete"
        " internal_user_mgt_list internal_user_mgt_update internal_user_mgt_view openid"
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'rights.db'}")
    try:
        schema.upgrade(engine, "0005")
        with engine.begin() as connection:
            tenant_id = connection.execute(
                text("SELECT id FROM tenants WHERE domain = 'carbon.super'")
            ).scalar_one()
            for name, permissions, scopes in (
                ("full", "recover,register,view", every_scope),
                ("viewer", "view", every_scope),
                ("portal", "view", "apim:subscribe internal_user_mgt_list"),
            ):
                connection.execute(
                    text(
                        "INSERT INTO service_accounts (name, tenant_id, secret_hash, permissions,"
                        " all_tenants, scopes, grants, created_at) VALUES (:name, :tenant,"
                        " :hash, :permissions, false, :scopes, '', :at)"
                    ),
                    {
                        "name": name,
                        "tenant": tenant_id,
                        "hash": "0" * 64,
                        "permissions": permissions,
                        "scopes": scopes,
                        "at": datetime(2026, 1, 1),
                    },
                )
        schema.upgrade(engine)
        with engine.connect() as connection:
            rights = dict(
                connection.execute(text("SELECT name, permissions FROM service_accounts")).all()
            )
        assert rights["full"] == (
            "login,recover,register,subscribe,users_create,users_delete,users_list,"
            "users_update,users_view,view"
        )
        assert rights["viewer"] == "view"
        assert rights["portal"] == "subscribe,users_list,view"
    finally:
        engine.dispose()
