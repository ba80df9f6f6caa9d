"""Journey metrics (issue 27): where each journey metric recorded as a period metric came from (its
counts, the events counted and their digest, when and by whom), so anyone can trace a value.

Revision ID: 0056_journey_metrics
Revises: 0055_booking_terms
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import ExactDecimal, UtcDateTime

revision = "0056_journey_metrics"
down_revision = "0055_booking_terms"  # the lead relinks the chain at merge
branch_labels = None
depends_on = None

RLS_TABLES = ("journey_metric_sources",)


def upgrade() -> None:
    op.create_table(
        "journey_metric_sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=False),
        sa.Column("numerator", sa.BigInteger(), nullable=False),
        sa.Column("denominator", sa.BigInteger(), nullable=True),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("member_digest", sa.String(100), nullable=False),
        sa.Column("month_digest", sa.String(100), nullable=False),
        sa.Column("computed_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("alliance_id", "period", "metric", "member_code", name="uq_journey_metric_sources_key"),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("journey_metric_sources")
