"""Outbox messages carry an HTML alternative and their sender.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("html_body", sa.Text(), nullable=True))
    op.add_column("outbox", sa.Column("sender", sa.String(length=1024), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("sender")
        batch.drop_column("html_body")
