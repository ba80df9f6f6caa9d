"""Joint marketing campaigns (issue 27): campaigns, their participants with cost-share ratios and
consents, and their costs (each shared through an operation charge).

Revision ID: 0053_marketing
Revises: 0051_psi_fields
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import ExactDecimal, UtcDateTime

revision = "0053_marketing"
down_revision = "0051_psi_fields"
branch_labels = None
depends_on = None

RLS_TABLES = ("marketing_campaigns", "marketing_participants", "marketing_costs")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "marketing_campaigns",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("lead_member", sa.String(32), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("budget_minor", sa.BigInteger(), nullable=False),
        sa.Column("attribution", sa.String(16), nullable=False),
        sa.Column("attribution_values", sa.JSON(), nullable=False),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("alliance_id", "number", name="uq_marketing_campaigns_alliance_number"),
    )
    op.create_table(
        "marketing_participants",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("marketing_campaigns.id"), nullable=False, index=True),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("ratio", ExactDecimal(), nullable=False),
        sa.Column("consented_at", UtcDateTime(), nullable=True),
        sa.Column("consented_by", sa.String(200), nullable=True),
        sa.UniqueConstraint("campaign_id", "member_code", name="uq_marketing_participants_member"),
    )
    op.create_table(
        "marketing_costs",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("marketing_campaigns.id"), nullable=False, index=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("payer", sa.String(32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("corrects", sa.Integer(), nullable=True),
        sa.Column("charge_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("campaign_id", "number", name="uq_marketing_costs_number"),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    for table in ("marketing_costs", "marketing_participants", "marketing_campaigns"):
        op.drop_table(table)
