"""The KPI scorecard: catalogue versions, entered values, pledges and their deliveries.

Revision ID: 0029_health_kpis
Revises: 0028_notify_delivery
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import ExactDecimal, UtcDateTime

revision = "0029_health_kpis"
down_revision = "0028_notify_delivery"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL, as in 0010 (tests/integration/test_schema.py).
RLS_TABLES = ("health_kpi_catalogues", "health_kpi_values", "health_pledges", "health_deliveries")


def upgrade() -> None:
    op.create_table(
        "health_kpi_catalogues",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definitions", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("alliance_id", "version", name="uq_health_kpi_catalogues_alliance_version"),
    )
    op.create_table(
        "health_kpi_values",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("kpi_code", sa.String(40), nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("member_code", sa.String(32), nullable=True),
        sa.Column("value", ExactDecimal(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(200), nullable=False),
        sa.Column("entered_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "health_pledges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("pledged_by", sa.String(200), nullable=False),
        sa.Column("pledged_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("alliance_id", "number", name="uq_health_pledges_alliance_number"),
    )
    op.create_table(
        "health_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("pledge_id", sa.Integer(), sa.ForeignKey("health_pledges.id"), nullable=False, index=True),
        sa.Column("quantity", ExactDecimal(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    for table in reversed(RLS_TABLES):
        op.drop_table(table)
