"""Period metrics: per alliance, month, metric and member, the values rules weigh by.

Revision ID: 0006_period_metrics
Revises: 0005_idempotency
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store.types import ExactDecimal, UtcDateTime

revision = "0006_period_metrics"
down_revision = "0005_idempotency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "period_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alliance_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("member_code", sa.String(length=32), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["alliance_id"], ["alliances.id"], name="fk_period_metrics_alliance_id_alliances"),
        sa.PrimaryKeyConstraint("id", name="pk_period_metrics"),
        sa.UniqueConstraint("alliance_id", "period", "metric", "member_code", name="uq_period_metrics_key"),
    )
    op.create_index("ix_period_metrics_alliance_id", "period_metrics", ["alliance_id"], unique=False)


def downgrade() -> None:
    op.drop_table("period_metrics")
