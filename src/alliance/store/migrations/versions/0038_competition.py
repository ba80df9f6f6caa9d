"""Competition-law screening: screenings with their inputs and results, justifications, and the
threshold sets an alliance applies.

Revision ID: 0038_competition
Revises: 0037_payouts
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0038_competition"
down_revision = "0037_payouts"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py).
RLS_TABLES = ("competition_screenings", "competition_justifications", "competition_set_choices")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "competition_screenings",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("occasion", sa.String(16), nullable=False),
        sa.Column("subject_name", sa.String(200), nullable=True),
        sa.Column("subject_credit_code", sa.String(18), nullable=True),
        sa.Column("subject_prospect", sa.String(200), nullable=True),
        sa.Column("sets", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("screened_by", sa.String(200), nullable=False),
        sa.Column("screened_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("alliance_id", "number", name="uq_competition_screenings_alliance_number"),
    )
    op.create_table(
        "competition_justifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("screening_id", sa.Integer(), sa.ForeignKey("competition_screenings.id"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("screening_id", name="uq_competition_justifications_screening_id"),
    )
    op.create_table(
        "competition_set_choices",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("sets", sa.JSON(), nullable=False),
        sa.Column("chosen_by", sa.String(200), nullable=False),
        sa.Column("chosen_at", UtcDateTime(), nullable=False),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("competition_set_choices")
    op.drop_table("competition_justifications")
    op.drop_table("competition_screenings")
