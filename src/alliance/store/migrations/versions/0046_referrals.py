"""Lead referral (issue 25): the alliance's referral programme, referrals with the lead's consent and
exclusivity window, the orders linked to them, and the commission each settlement run booked.

Revision ID: 0046_referrals
Revises: 0044_purchasing
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import ExactDecimal, UtcDateTime

revision = "0046_referrals"
down_revision = "0044_purchasing"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py).
RLS_TABLES = ("referral_programmes", "referrals", "referral_orders", "referral_commissions")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "referral_programmes",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("commission_rate", ExactDecimal(), nullable=False),
        sa.Column("hold_days", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("max_extension_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("alliance_id", name="uq_referral_programmes_alliance_id"),
    )
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("from_member", sa.String(32), nullable=False),
        sa.Column("to_member", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("lead_name", sa.String(200), nullable=False),
        sa.Column("lead_contact", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("contact_key", sa.String(200), nullable=False),
        sa.Column("products", sa.String(500), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("consent_by", sa.String(200), nullable=False),
        sa.Column("consent_at", sa.Date(), nullable=False),
        sa.Column("consent_how", sa.String(16), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("window_ends", sa.Date(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("extension", sa.String(16), nullable=False),
        sa.Column("extension_days", sa.Integer(), nullable=False),
        sa.Column("extended_days", sa.Integer(), nullable=False),
        sa.Column("extension_reason", sa.String(500), nullable=False),
        sa.Column("booked_minor", sa.BigInteger(), nullable=False),
        sa.Column("final_on", sa.Date(), nullable=True),
        sa.UniqueConstraint("alliance_id", "number", name="uq_referrals_alliance_number"),
    )
    op.create_index("ix_referrals_alliance_to_state", "referrals", ["alliance_id", "to_member", "state"])
    op.create_table(
        "referral_orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("referral_id", sa.Integer(), sa.ForeignKey("referrals.id"), nullable=False, index=True),
        sa.Column("order_id", sa.String(128), nullable=False),
        sa.Column("linked_at", UtcDateTime(), nullable=False),
        sa.Column("linked_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("alliance_id", "order_id", name="uq_referral_orders_alliance_order"),
    )
    op.create_table(
        "referral_commissions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("referral_id", sa.Integer(), sa.ForeignKey("referrals.id"), nullable=False, index=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("target_minor", sa.BigInteger(), nullable=False),
        sa.Column("delta_minor", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("referral_id", "day", name="uq_referral_commissions_referral_day"),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("referral_commissions")
    op.drop_table("referral_orders")
    op.drop_index("ix_referrals_alliance_to_state", table_name="referrals")
    op.drop_table("referrals")
    op.drop_table("referral_programmes")
