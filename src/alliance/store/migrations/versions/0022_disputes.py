"""Disputes between members, their evidence, and each alliance's escalation ladder.

Revision ID: 0022_disputes
Revises: 0021_bodies_meetings
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store.types import UtcDateTime

revision = "0022_disputes"
down_revision = "0021_bodies_meetings"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL, as in 0010 (tests/integration/test_schema.py).
RLS_TABLES = ("dispute_ladders", "disputes", "dispute_evidence")
RULE = ("current_setting('alliance.scope', true) = '*' OR alliance_id IN "
        "(SELECT id FROM alliances WHERE code = current_setting('alliance.scope', true))")


def upgrade() -> None:
    op.create_table(
        "dispute_ladders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, unique=True),
        sa.Column("ladder", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("claimant", sa.String(32), nullable=False),
        sa.Column("respondents", sa.JSON(), nullable=False),
        sa.Column("agreement", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("level_since", UtcDateTime(), nullable=False),
        sa.Column("ladder", sa.JSON(), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("response_due", UtcDateTime(), nullable=False),
        sa.Column("ruling_due", UtcDateTime(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(200), nullable=True),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("report_sha256", sa.String(64), nullable=False),
        sa.Column("ruling_ref", sa.String(64), nullable=True),
        sa.UniqueConstraint("alliance_id", "number", name="uq_disputes_alliance_number"),
    )
    op.create_table(
        "dispute_evidence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("dispute_id", sa.Integer(), sa.ForeignKey("disputes.id"), nullable=False, index=True),
        sa.Column("party", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("added_at", UtcDateTime(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in RLS_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY alliance_scope ON {table} USING ({RULE}) WITH CHECK ({RULE})")


def downgrade() -> None:
    op.drop_table("dispute_evidence")
    op.drop_table("disputes")
    op.drop_table("dispute_ladders")
