"""The shared warehouse (issue 25): warehouses with their price lines, members' bookings, and the
billed months with their lines.

Revision ID: 0045_warehouse
Revises: 0044_purchasing
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import ExactDecimal, UtcDateTime

revision = "0045_warehouse"
down_revision = "0044_purchasing"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py).
RLS_TABLES = ("warehouses", "warehouse_prices", "warehouse_bookings", "warehouse_invoices",
              "warehouse_invoice_lines")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "warehouses",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("capacity", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.String(8), nullable=False),
        sa.Column("free_days", sa.Integer(), nullable=False),
        sa.Column("surcharge_after", sa.Integer(), nullable=False),
        sa.Column("surcharge_percent", ExactDecimal(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("alliance_id", "number", name="uq_warehouses_alliance_number"),
    )
    op.create_table(
        "warehouse_prices",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("warehouse_id", sa.Integer(), sa.ForeignKey("warehouses.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("warehouse_id", "period", name="uq_warehouse_prices_warehouse_period"),
    )
    op.create_table(
        "warehouse_bookings",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("warehouse_id", sa.Integer(), sa.ForeignKey("warehouses.id"), nullable=False, index=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("member", sa.String(32), nullable=False, index=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("checked_in_on", sa.Date(), nullable=True),
        sa.Column("checked_out_on", sa.Date(), nullable=True),
        sa.Column("actual_quantity", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("alliance_id", "number", name="uq_warehouse_bookings_alliance_number"),
    )
    op.create_table(
        "warehouse_invoices",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("warehouse_id", sa.Integer(), sa.ForeignKey("warehouses.id"), nullable=False, index=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("charge_id", sa.Integer(), nullable=True),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("lines_sha256", sa.String(64), nullable=False),
        sa.Column("billed_at", UtcDateTime(), nullable=False),
        sa.Column("billed_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("warehouse_id", "month", name="uq_warehouse_invoices_warehouse_month"),
    )
    op.create_table(
        "warehouse_invoice_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("invoice_id", sa.Integer(), sa.ForeignKey("warehouse_invoices.id"), nullable=False, index=True),
        sa.Column("booking_id", sa.Integer(), sa.ForeignKey("warehouse_bookings.id"), nullable=False, index=True),
        sa.Column("member", sa.String(32), nullable=False),
        sa.Column("month_minor", sa.BigInteger(), nullable=False),
        sa.Column("correction_minor", sa.BigInteger(), nullable=False),
        sa.Column("days_in_month", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    for table in reversed(RLS_TABLES):
        op.drop_table(table)
