"""An alliance's lifecycle: a planned end date (task / project alliances) and the history of every
change of its details or status after founding.

Revision ID: 0020_alliance_lifecycle
Revises: 0019_failure_messages
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store.types import UtcDateTime

revision = "0020_alliance_lifecycle"
down_revision = "0019_failure_messages"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL, as in 0010 (tests/integration/test_schema.py).
RLS_TABLES = ("alliance_changes",)
RULE = ("current_setting('alliance.scope', true) = '*' OR alliance_id IN "
        "(SELECT id FROM alliances WHERE code = current_setting('alliance.scope', true))")


def upgrade() -> None:
    with op.batch_alter_table("alliances") as batch:
        batch.add_column(sa.Column("planned_end", sa.Date(), nullable=True))
    op.create_table(
        "alliance_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("reason", sa.String(1000), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in RLS_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY alliance_scope ON {table} USING ({RULE}) WITH CHECK ({RULE})")


def downgrade() -> None:
    op.drop_table("alliance_changes")
    with op.batch_alter_table("alliances") as batch:
        batch.drop_column("planned_end")
