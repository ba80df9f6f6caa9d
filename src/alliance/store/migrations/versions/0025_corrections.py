"""Correcting adjustment entries of rulings: scheduled by an accepted ruling, booked by the next run.

A correction names its dispute and ruling and holds exact transfers (payer, payee, minor units); it is
booked on the next day a settlement run closes (`booked_on`, NULL until then), as statement lines
whose new column `correction_of` names the ruling ("dispute 3, ruling proposal 12"). Lines of every
other kind keep NULL there.

Revision ID: 0025_corrections
Revises: 0024_vote_weights
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0025_corrections"
down_revision = "0024_vote_weights"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL, as in 0010 (tests/integration/test_schema.py).
RLS_TABLES = ("corrections", "correction_transfers")


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("dispute_number", sa.Integer(), nullable=False),
        sa.Column("ruling_ref", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=True),
    )
    op.create_table(
        "correction_transfers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("correction_id", sa.Integer(), sa.ForeignKey("corrections.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("payer", sa.String(32), nullable=False),
        sa.Column("payee", sa.String(32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
    )
    with op.batch_alter_table("statement_lines") as batch:
        batch.add_column(sa.Column("correction_of", sa.String(200), nullable=True))
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    with op.batch_alter_table("statement_lines") as batch:
        batch.drop_column("correction_of")
    op.drop_table("correction_transfers")
    op.drop_table("corrections")
