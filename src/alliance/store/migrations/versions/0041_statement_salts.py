"""Settlement runs keep each account's salt for the day's per-member commitment.

A day's `settlement.day_closed` entry records `members_root`, a Merkle root over one salted leaf per
account in the statement (ledger/statement_commitment.py), so that a member's archive proves its own
lines offline. The salts are kept with the run (JSON: account -> hex); runs made before keep NULL
and their entries name no root.

Revision ID: 0041_statement_salts
Revises: 0040_fund_releases
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0041_statement_salts"
down_revision = "0040_fund_releases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("settlement_runs") as batch:
        batch.add_column(sa.Column("member_salts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("settlement_runs") as batch:
        batch.drop_column("member_salts")
