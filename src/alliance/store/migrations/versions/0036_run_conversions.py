"""Settled conversions: what each settlement run converted, by business day, seller and currency.

Revision ID: 0036_run_conversions
Revises: 0035_ip_register
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security

revision = "0036_run_conversions"
down_revision = "0035_ip_register"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py).
RLS_TABLES = ("settlement_conversions",)


def upgrade() -> None:
    op.create_table(
        "settlement_conversions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("settlement_runs.id"), nullable=False, index=True),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("account", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("rate", sa.String(40), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("original_minor", sa.BigInteger(), nullable=False),
        sa.Column("converted_minor", sa.BigInteger(), nullable=False),
        sa.Column("adjustment", sa.Boolean(), nullable=False),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("settlement_conversions")
