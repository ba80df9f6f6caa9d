"""Fund releases: a fund's balance paid out to members (a dissolution's distribution, an exit's share),
booked by the next settlement run.

Revision ID: 0040_fund_releases
Revises: 0039_exit_cases
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0040_fund_releases"
down_revision = "0039_exit_cases"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py).
RLS_TABLES = ("fund_releases", "fund_release_parts")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "fund_releases",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("fund", sa.String(32), nullable=False),
        sa.Column("agreement", sa.String(64), nullable=False),
        sa.Column("cause", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=True),
    )
    op.create_table(
        "fund_release_parts",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("release_id", sa.Integer(), sa.ForeignKey("fund_releases.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("member", sa.String(32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("fund_release_parts")
    op.drop_table("fund_releases")
