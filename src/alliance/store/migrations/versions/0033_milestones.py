"""Milestones of project agreements: recorded with their evidence, confirmed or rejected, booked once.

Revision ID: 0033_milestones
Revises: 0032_health_incidents
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0033_milestones"
down_revision = "0032_health_incidents"
branch_labels = None
depends_on = None

RLS_TABLES = ("milestones",)
OPEN_OR_CONFIRMED = "status IN ('recorded', 'confirmed')"


def upgrade() -> None:
    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("agreement", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("booked_on", sa.Date(), nullable=True),
    )
    # At most one milestone of a rule open or confirmed: a tranche is released at most once, and a
    # rejected milestone may be recorded again with new evidence.
    op.create_index("milestones_one_open_or_confirmed", "milestones", ["alliance_id", "agreement", "rule_id"],
                    unique=True, sqlite_where=sa.text(OPEN_OR_CONFIRMED), postgresql_where=sa.text(OPEN_OR_CONFIRMED))
    row_security.enable(RLS_TABLES)
    # A statement line keeps its rule's kind: `milestone_release` is the first longer than 16.
    with op.batch_alter_table("statement_lines") as batch:
        batch.alter_column("kind", type_=sa.String(32), existing_type=sa.String(16), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("statement_lines") as batch:
        batch.alter_column("kind", type_=sa.String(16), existing_type=sa.String(32), existing_nullable=False)
    op.drop_index("milestones_one_open_or_confirmed", "milestones")
    op.drop_table("milestones")
