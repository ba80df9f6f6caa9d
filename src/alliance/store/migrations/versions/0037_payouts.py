"""Payouts in the payee's currency: each member's payout currency (append-only) and the payouts.

Revision ID: 0037_payouts
Revises: 0036_run_conversions
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0037_payouts"
down_revision = "0036_run_conversions"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py).
RLS_TABLES = ("payout_currency_choices", "payouts")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "payout_currency_choices",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("set_at", UtcDateTime(), nullable=False),
        sa.Column("set_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("payout_day", sa.Date(), nullable=False),
        sa.Column("settlement_currency", sa.String(3), nullable=False),
        sa.Column("owed_minor", sa.BigInteger(), nullable=False),
        sa.Column("payee_currency", sa.String(3), nullable=False),
        sa.Column("rate", sa.String(40), nullable=False),
        sa.Column("rate_source", sa.String(200), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("value_back_minor", sa.BigInteger(), nullable=False),
        sa.Column("difference_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.UniqueConstraint("alliance_id", "number", name="uq_payouts_alliance_number"),
    )
    op.create_index("ix_payouts_alliance_member_days", "payouts", ["alliance_id", "member_code", "first_day"])
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_index("ix_payouts_alliance_member_days", table_name="payouts")
    op.drop_table("payouts")
    op.drop_table("payout_currency_choices")
