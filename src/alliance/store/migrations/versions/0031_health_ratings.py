"""Partner star ratings: settings, imported reviews, innovation scores, ratings, tier entitlements
and elimination procedures (health.ratings).

Revision ID: 0031_health_ratings
Revises: 0030_health_warnings
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0031_health_ratings"
down_revision = "0030_health_warnings"
branch_labels = None
depends_on = None

RLS_TABLES = ("rating_settings", "rating_reviews", "rating_innovation", "ratings", "rating_entitlements",
              "rating_procedures")


def _alliance() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "rating_settings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, unique=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("set_by", sa.String(200), nullable=False),
        sa.Column("set_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "rating_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stars", sa.SmallInteger(), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("batch", sa.String(64), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.Column("imported_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_rating_reviews_member_day", "rating_reviews", ["alliance_id", "member_code", "day"])
    op.create_table(
        "rating_innovation",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("score", sa.String(32), nullable=False),
        sa.Column("entered_by", sa.String(200), nullable=False),
        sa.Column("entered_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("score", sa.String(64), nullable=False),
        sa.Column("stars", sa.SmallInteger(), nullable=False),
        sa.Column("previous_stars", sa.SmallInteger(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("run_by", sa.String(200), nullable=False),
        sa.Column("run_at", UtcDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("effective_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_ratings_member", "ratings", ["alliance_id", "member_code", "id"])
    op.create_table(
        "rating_entitlements",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("benefit", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "rating_procedures",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("improvement_until", sa.Date(), nullable=False),
        sa.Column("paused_on", sa.Date(), nullable=True),
        sa.Column("appeal_reason", sa.Text(), nullable=True),
        sa.Column("appealed_by", sa.String(200), nullable=True),
        sa.Column("appeal_decision", sa.String(16), nullable=True),
        sa.Column("appeal_decided_by", sa.String(200), nullable=True),
        sa.Column("review_rating_id", sa.Integer(), nullable=True),
        sa.Column("proposal_number", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    for table in reversed(RLS_TABLES):
        op.drop_table(table)
