"""The ledger: keys, heads, entries, perfect-subtree nodes and signed checkpoints per alliance.

Revision ID: 0007_ledger
Revises: 0006_period_metrics
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store.types import UtcDateTime

revision = "0007_ledger"
down_revision = "0006_period_metrics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_keys",
        sa.Column("alliance_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["alliance_id"], ["alliances.id"], name="fk_ledger_keys_alliance_id_alliances"),
        sa.PrimaryKeyConstraint("alliance_id", name="pk_ledger_keys"),
    )
    op.create_table(
        "ledger_heads",
        sa.Column("alliance_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["alliance_id"], ["alliances.id"], name="fk_ledger_heads_alliance_id_alliances"),
        sa.PrimaryKeyConstraint("alliance_id", name="pk_ledger_heads"),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("alliance_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(["alliance_id"], ["alliances.id"], name="fk_ledger_entries_alliance_id_alliances"),
        sa.PrimaryKeyConstraint("alliance_id", "idx", name="pk_ledger_entries"),
    )
    op.create_table(
        "ledger_nodes",
        sa.Column("alliance_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(["alliance_id"], ["alliances.id"], name="fk_ledger_nodes_alliance_id_alliances"),
        sa.PrimaryKeyConstraint("alliance_id", "level", "idx", name="pk_ledger_nodes"),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("alliance_id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["alliance_id"], ["alliances.id"], name="fk_ledger_checkpoints_alliance_id_alliances"),
        sa.PrimaryKeyConstraint("alliance_id", "tree_size", name="pk_ledger_checkpoints"),
    )


def downgrade() -> None:
    for table in ("ledger_checkpoints", "ledger_nodes", "ledger_entries", "ledger_heads", "ledger_keys"):
        op.drop_table(table)
