"""Matching (issue 24): declared resources and needs get a kind of the taxonomy (`group/sub`), a
region, a time window and who changed them last; an alliance's own resource kinds; its directory of
outside holders (candidates, and prospects' resource profiles) with their declarations.

Existing rows keep their category: every old category (customers, technology, channel, ...) is a
group key of the taxonomy.

Revision ID: 0042_matching
Revises: 0041_statement_salts
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import ExactDecimal, UtcDateTime

revision = "0042_matching"
down_revision = "0041_statement_salts"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py).
RLS_TABLES = ("resource_kinds", "directory_entries", "directory_resources")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def _declaration_columns() -> list[sa.Column]:
    return [
        sa.Column("region", sa.String(64), nullable=False, server_default=""),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.Column("updated_by", sa.String(200), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("member_resources") as batch:
        batch.alter_column("category", existing_type=sa.String(16), type_=sa.String(64), existing_nullable=False)
        for column in _declaration_columns():
            batch.add_column(column)
    op.create_table(
        "resource_kinds",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=False),
        sa.Column("name_zh", sa.String(100), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("alliance_id", "key", name="uq_resource_kinds_alliance_key"),
    )
    op.create_table(
        "directory_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=True),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("industry", sa.String(100), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source", sa.String(24), nullable=False),
        sa.Column("prospect_id", sa.Integer(), sa.ForeignKey("prospects.id"), nullable=True, unique=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("alliance_id", "code", name="uq_directory_entries_alliance_code"),
    )
    op.create_table(
        "directory_resources",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("directory_entries.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("capacity", ExactDecimal(), nullable=True),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        *_declaration_columns(),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("directory_resources")
    op.drop_table("directory_entries")
    op.drop_table("resource_kinds")
    with op.batch_alter_table("member_resources") as batch:
        for name in ("updated_by", "updated_at", "ends_on", "starts_on", "region"):
            batch.drop_column(name)
        batch.alter_column("category", existing_type=sa.String(64), type_=sa.String(16), existing_nullable=False)
