"""The alliance's explicit voting weight table (investment shares or any agreed figures).

Revision ID: 0024_vote_weights
Revises: 0023_proposals
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0024_vote_weights"
down_revision = "0023_proposals"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL, as in 0010 (tests/integration/test_schema.py).
RLS_TABLES = ("vote_weights",)


def upgrade() -> None:
    op.create_table(
        "vote_weights",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("weight", sa.String(32), nullable=False),
        sa.Column("set_by", sa.String(200), nullable=False),
        sa.Column("set_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("alliance_id", "member_code", name="uq_vote_weights_alliance_member"),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("vote_weights")
