"""One set of rights per service account; user tokens bound to the credentials' version.

A service account's OAuth scopes become rights in its one set (``permissions``), and the
``scopes`` column goes. An account that held every scope only because that was the old default
while holding fewer than the three SOAP rights (``account add NAME --permissions view``) keeps
its SOAP rights only: the implicit "everything" is not carried over (give it more with
``recovery-soap account set NAME --scope ...``). Users get ``credential_version``, raised by a
password change or a lock, which their tokens name.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The scopes and the rights they spell, as of this revision (core/authorisation.py).
SCOPE_RIGHT = {
    "internal_login": "login",
    "openid": "login",
    "apim:subscribe": "subscribe",
    "internal_user_mgt_list": "users_list",
    "internal_user_mgt_view": "users_view",
    "internal_user_mgt_create": "users_create",
    "internal_user_mgt_update": "users_update",
    "internal_user_mgt_delete": "users_delete",
}
SOAP_RIGHTS = {"recover", "view", "register"}


def folded(permissions: str, scopes: str) -> str:
    """The one set of rights of an account from its permissions and scopes."""
    rights = {p for p in permissions.split(",") if p}
    given = {s for s in scopes.split(" ") if s}
    if not (given == set(SCOPE_RIGHT) and not SOAP_RIGHTS <= rights):
        rights |= {SCOPE_RIGHT[s] for s in given if s in SCOPE_RIGHT}
    return ",".join(sorted(rights))


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("credential_version", sa.Integer(), nullable=False, server_default="0"),
    )
    accounts = sa.table(
        "service_accounts",
        sa.column("id", sa.Integer),
        sa.column("permissions", sa.String),
        sa.column("scopes", sa.String),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(accounts.c.id, accounts.c.permissions, accounts.c.scopes)):
        bind.execute(
            accounts.update()
            .where(accounts.c.id == row.id)
            .values(permissions=folded(row.permissions, row.scopes or ""))
        )
    # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild would lose the expression indexes.
    op.execute("ALTER TABLE service_accounts DROP COLUMN scopes")


def downgrade() -> None:
    op.add_column(
        "service_accounts",
        sa.Column("scopes", sa.String(length=1024), nullable=False, server_default=""),
    )
    accounts = sa.table(
        "service_accounts",
        sa.column("id", sa.Integer),
        sa.column("permissions", sa.String),
        sa.column("scopes", sa.String),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(accounts.c.id, accounts.c.permissions)):
        rights = set(row.permissions.split(","))
        scopes = sorted(s for s, r in SCOPE_RIGHT.items() if r in rights)
        soap = sorted(rights & SOAP_RIGHTS)
        bind.execute(
            accounts.update()
            .where(accounts.c.id == row.id)
            .values(permissions=",".join(soap), scopes=" ".join(scopes))
        )
    op.execute("ALTER TABLE users DROP COLUMN credential_version")
