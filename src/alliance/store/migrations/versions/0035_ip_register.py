"""The IP register: assets (background and foreground IP) and their append-only versions.

Revision ID: 0035_ip_register
Revises: 0034_fx_rates
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0035_ip_register"
down_revision = "0034_fx_rates"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py).
RLS_TABLES = ("ip_assets", "ip_versions")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "ip_assets",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("asset", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("alliance_id", "asset", name="uq_ip_assets_alliance_asset"),
    )
    op.create_table(
        "ip_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("asset_id", sa.Integer(), sa.ForeignKey("ip_assets.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("number", sa.String(64), nullable=True),
        sa.Column("owner", sa.String(32), nullable=True),
        sa.Column("licence_text", sa.Text(), nullable=True),
        sa.Column("licence_exclusive", sa.Boolean(), nullable=True),
        sa.Column("licence_territory", sa.String(200), nullable=True),
        sa.Column("licence_from", sa.Date(), nullable=True),
        sa.Column("licence_until", sa.Date(), nullable=True),
        sa.Column("contributors", sa.JSON(), nullable=False),
        sa.Column("project", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("asset_id", "version", name="uq_ip_versions_asset_version"),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("ip_versions")
    op.drop_table("ip_assets")
