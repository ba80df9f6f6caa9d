"""API idempotency keys: the first response to each key, per alliance.

Revision ID: 0005_idempotency
Revises: 0004_settlement
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store.types import UtcDateTime

revision = "0005_idempotency"
down_revision = "0004_settlement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alliance_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["alliance_id"], ["alliances.id"], name="fk_idempotency_keys_alliance_id_alliances"),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_keys"),
        sa.UniqueConstraint("alliance_id", "key", name="uq_idempotency_keys_alliance_key"),
    )
    op.create_index("ix_idempotency_keys_alliance_id", "idempotency_keys", ["alliance_id"], unique=False)


def downgrade() -> None:
    op.drop_table("idempotency_keys")
