"""Registry: alliances, members, member resources and needs.

Revision ID: 0001_registry
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store.types import ExactDecimal

revision = "0001_registry"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alliances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("structure", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("charter", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["alliances.id"], name="fk_alliances_parent_id_alliances"),
        sa.PrimaryKeyConstraint("id", name="pk_alliances"),
        sa.UniqueConstraint("code", name="uq_alliances_code"),
    )
    op.create_index("ix_alliances_parent_id", "alliances", ["parent_id"])
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alliance_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("legal_name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("industry", sa.String(100), nullable=False),
        sa.Column("region", sa.String(100), nullable=False),
        sa.Column("size", sa.String(16), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("contact_name", sa.String(100), nullable=False),
        sa.Column("contact_phone", sa.String(40), nullable=False),
        sa.Column("contact_email", sa.String(200), nullable=False),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=True),
        sa.Column("profit_minor", sa.BigInteger(), nullable=True),
        sa.Column("cash_flow_minor", sa.BigInteger(), nullable=True),
        sa.Column("debt_ratio", ExactDecimal(), nullable=True),
        sa.Column("reputation", ExactDecimal(), nullable=True),
        sa.Column("compliance_records", sa.Integer(), nullable=True),
        sa.Column("patent_count", sa.Integer(), nullable=True),
        sa.Column("api_count", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["alliance_id"], ["alliances.id"], name="fk_members_alliance_id_alliances"),
        sa.PrimaryKeyConstraint("id", name="pk_members"),
        sa.UniqueConstraint("alliance_id", "code", name="uq_members_alliance_code"),
        sa.UniqueConstraint("alliance_id", "credit_code", name="uq_members_alliance_credit_code"),
    )
    op.create_index("ix_members_alliance_id", "members", ["alliance_id"])
    op.create_table(
        "member_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alliance_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("capacity", ExactDecimal(), nullable=True),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"], ["alliances.id"], name="fk_member_resources_alliance_id_alliances"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name="fk_member_resources_member_id_members", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_member_resources"),
    )
    op.create_index("ix_member_resources_alliance_id", "member_resources", ["alliance_id"])
    op.create_index("ix_member_resources_member_id", "member_resources", ["member_id"])


def downgrade() -> None:
    op.drop_table("member_resources")
    op.drop_table("members")
    op.drop_table("alliances")
