"""Charges of shared operations (issue 25): money a joint-purchasing campaign, a warehouse's month or a
deposit decided, booked as statement lines by the next settlement run.

Revision ID: 0043_operation_charges
Revises: 0042_matching
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0043_operation_charges"
down_revision = "0042_matching"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py).
RLS_TABLES = ("operation_charges", "operation_charge_lines")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "operation_charges",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=True),
    )
    op.create_table(
        "operation_charge_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("charge_id", sa.Integer(), sa.ForeignKey("operation_charges.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("base_minor", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.String(200), nullable=False),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("operation_charge_lines")
    op.drop_table("operation_charges")
