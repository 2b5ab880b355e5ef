"""Directory search: indexes on lower(username) and lower(claim value), so that SCIM userName
and emails eq/sw are index lookups instead of a pass over the tenant's rows.

On PostgreSQL the expressions use text_pattern_ops: a LIKE 'prefix%' is answered from the index
whatever the database's collation, and equality still is. Building them reads each table once;
a very large PostgreSQL table may rather be indexed beforehand with CREATE INDEX CONCURRENTLY
under the same names and definitions (this migration then only records the revision).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_users_tenant_lower_username", "users", "tenant_id", "lower(username)"),
    ("ix_user_claims_lower_value", "user_claims", "tenant_id, claim_uri", "lower(value)"),
)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    ops = " text_pattern_ops" if postgresql else ""
    for name, table, columns, expression in INDEXES:
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns}, {expression}{ops})")


def downgrade() -> None:
    for name, _, _, _ in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
