"""Failed settlement attempts: the calendar shows a day whose run failed, and why.

Revision ID: 0013_settlement_failures
Revises: 0012_sign_in_lockout
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store.types import UtcDateTime

revision = "0013_settlement_failures"
down_revision = "0012_sign_in_lockout"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL, as in 0010 (tests/integration/test_schema.py).
RLS_TABLES = ("settlement_failures",)
RULE = ("current_setting('alliance.scope', true) = '*' OR alliance_id IN "
        "(SELECT id FROM alliances WHERE code = current_setting('alliance.scope', true))")


def upgrade() -> None:
    op.create_table(
        "settlement_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("attempted_at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in RLS_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY alliance_scope ON {table} USING ({RULE}) WITH CHECK ({RULE})")


def downgrade() -> None:
    op.drop_table("settlement_failures")
