"""OAuth: service accounts carry allowed scopes and grants; token signing keys; tenants say
whether self sign-up (subscriber invitations) is allowed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing accounts get no scopes or grants: they keep calling SOAP, and are given OAuth
    # access explicitly (recovery-soap account add NAME --scope ... --grant ...).
    op.add_column(
        "service_accounts",
        sa.Column("scopes", sa.String(length=1024), nullable=False, server_default=""),
    )
    op.add_column(
        "service_accounts",
        sa.Column("grants", sa.String(length=255), nullable=False, server_default=""),
    )
    op.add_column(
        "tenants",
        sa.Column("self_signup", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("private_jwk", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )


def downgrade() -> None:
    op.drop_table("signing_keys")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("self_signup")
    with op.batch_alter_table("service_accounts") as batch:
        batch.drop_column("grants")
        batch.drop_column("scopes")
