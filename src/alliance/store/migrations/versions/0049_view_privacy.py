"""Differential privacy of shared views (issue 26): a view's DP declaration, and the budget spends.

Revision ID: 0049_view_privacy
Revises: 0048_privacy
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0049_view_privacy"
down_revision = "0048_privacy"
branch_labels = None
depends_on = None

RLS_TABLES = ("view_budget_spends",)


def upgrade() -> None:
    with op.batch_alter_table("shared_views") as batch:
        batch.add_column(sa.Column("privacy", sa.JSON(), nullable=True))
    op.create_table(
        "view_budget_spends",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("view_id", sa.Integer(), sa.ForeignKey("shared_views.id"), nullable=False),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("micro_epsilon", sa.BigInteger(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Index("ix_view_budget_spends_view_period", "view_id", "period_start"),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("view_budget_spends")
    with op.batch_alter_table("shared_views") as batch:
        batch.drop_column("privacy")
