"""Joint purchasing (issue 25): campaigns with supplier quotes (volume tiers), members' commitments with
their history, and deliveries.

Revision ID: 0044_purchasing
Revises: 0043_operation_charges
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import ExactDecimal, UtcDateTime

revision = "0044_purchasing"
down_revision = "0043_operation_charges"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py).
RLS_TABLES = ("purchase_campaigns", "purchase_quotes", "purchase_commitments", "purchase_commitment_changes",
              "purchase_deliveries")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def _campaign() -> sa.Column:
    return sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("purchase_campaigns.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "purchase_campaigns",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("item", sa.String(200), nullable=False),
        sa.Column("spec", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("organiser", sa.String(32), nullable=False),
        sa.Column("deadline", UtcDateTime(), nullable=False),
        sa.Column("minimum", sa.BigInteger(), nullable=False),
        sa.Column("split_rule", sa.String(16), nullable=False),
        sa.Column("fee_rate", ExactDecimal(), nullable=False),
        sa.Column("deposit_per_unit", sa.BigInteger(), nullable=False),
        sa.Column("purchasing_share", ExactDecimal(), nullable=True),
        sa.Column("threshold", ExactDecimal(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_note", sa.String(500), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=True),
        sa.Column("unit_price", ExactDecimal(), nullable=True),
        sa.Column("quote_number", sa.Integer(), nullable=True),
        sa.Column("invoice_minor", sa.BigInteger(), nullable=True),
        sa.Column("savings_minor", sa.BigInteger(), nullable=True),
        sa.Column("fee_minor", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("alliance_id", "number", name="uq_purchase_campaigns_alliance_number"),
    )
    op.create_table(
        "purchase_quotes",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        _campaign(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("supplier", sa.String(120), nullable=False),
        sa.Column("account", sa.String(40), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("campaign_id", "number", name="uq_purchase_quotes_campaign_number"),
    )
    op.create_table(
        "purchase_commitments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        _campaign(),
        sa.Column("member", sa.String(32), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("deposit_minor", sa.BigInteger(), nullable=False),
        sa.Column("delivered", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("campaign_id", "member", name="uq_purchase_commitments_campaign_member"),
    )
    op.create_table(
        "purchase_commitment_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        _campaign(),
        sa.Column("member", sa.String(32), nullable=False),
        sa.Column("old", sa.BigInteger(), nullable=False),
        sa.Column("new", sa.BigInteger(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
    )
    op.create_table(
        "purchase_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        _campaign(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("per_member", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("charge_id", sa.Integer(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.UniqueConstraint("campaign_id", "number", name="uq_purchase_deliveries_campaign_number"),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    for table in ("purchase_deliveries", "purchase_commitment_changes", "purchase_commitments", "purchase_quotes",
                  "purchase_campaigns"):
        op.drop_table(table)
