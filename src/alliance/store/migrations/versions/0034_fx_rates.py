"""Exchange rates: each alliance's daily rates into its settlement currency, append-only.

Revision ID: 0034_fx_rates
Revises: 0033_milestones
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0034_fx_rates"
down_revision = "0033_milestones"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py).
RLS_TABLES = ("fx_rates",)


def upgrade() -> None:
    op.create_table(
        "fx_rates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("rate", sa.String(40), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("import_number", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.Column("imported_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("alliance_id", "day", "currency", name="uq_fx_rates_alliance_day_currency"),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("fx_rates")
