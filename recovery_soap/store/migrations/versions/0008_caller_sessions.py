"""Service-account login sessions (AuthenticationAdmin): the keyed hash of the session id, the
account it belongs to (a deleted account takes its sessions along), and its timestamps.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "caller_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("account_state", sa.String(length=64), nullable=False),
        sa.Column("client_address", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["service_accounts.id"],
            name=op.f("fk_caller_sessions_account_id_service_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_caller_sessions")),
    )
    op.create_index(
        op.f("ix_caller_sessions_account_id"), "caller_sessions", ["account_id"], unique=False
    )
    op.create_index(
        op.f("ix_caller_sessions_expires_at"), "caller_sessions", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("caller_sessions")
