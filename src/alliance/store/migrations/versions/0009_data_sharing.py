"""Data sharing: shared views and their access log.

Revision ID: 0009_data_sharing
Revises: 0008_access
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store.types import UtcDateTime

revision = "0009_data_sharing"
down_revision = "0008_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alliance_id", sa.Integer(), nullable=False),
        sa.Column("member_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("dataset", sa.String(length=32), nullable=False),
        sa.Column("policies", sa.JSON(), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["alliance_id"], ["alliances.id"], name="fk_shared_views_alliance_id_alliances"),
        sa.PrimaryKeyConstraint("id", name="pk_shared_views"),
    )
    op.create_index("ix_shared_views_alliance_id", "shared_views", ["alliance_id"], unique=False)
    op.create_table(
        "view_access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alliance_id", sa.Integer(), nullable=False),
        sa.Column("view_id", sa.Integer(), nullable=False),
        sa.Column("member_code", sa.String(length=32), nullable=False),
        sa.Column("accessed_by", sa.String(length=200), nullable=False),
        sa.Column("accessed_at", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["alliance_id"], ["alliances.id"], name="fk_view_access_log_alliance_id_alliances"),
        sa.ForeignKeyConstraint(["view_id"], ["shared_views.id"], name="fk_view_access_log_view_id_shared_views"),
        sa.PrimaryKeyConstraint("id", name="pk_view_access_log"),
    )
    op.create_index("ix_view_access_log_alliance_id", "view_access_log", ["alliance_id"], unique=False)
    op.create_index("ix_view_access_log_view_id", "view_access_log", ["view_id"], unique=False)


def downgrade() -> None:
    op.drop_table("view_access_log")
    op.drop_table("shared_views")
