"""Users remember when an import last read them from its source, so that a re-import can tell
which imported users are gone from the source (reported; removed with --delete-missing).

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("import_seen_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy would lose the expression indexes of 0005.
    op.execute("ALTER TABLE users DROP COLUMN import_seen_at")
