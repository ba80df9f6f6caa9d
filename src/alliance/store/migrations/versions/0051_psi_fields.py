"""The overlap list with chosen fields (issue 26): the NAMES of the fields a member shares at `list`,
and what each side of a list-mode session shares, fixed at consent. No value is ever stored.

Revision ID: 0051_psi_fields
Revises: 0050_view_functions
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0051_psi_fields"
down_revision = "0050_view_functions"  # the lead relinks the chain at merge
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("psi_levels", sa.Column("fields", sa.JSON(), nullable=True))
    op.add_column("psi_sessions", sa.Column("initiator_fields", sa.JSON(), nullable=True))
    op.add_column("psi_sessions", sa.Column("partner_fields", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("psi_sessions") as batch:
        batch.drop_column("partner_fields")
        batch.drop_column("initiator_fields")
    with op.batch_alter_table("psi_levels") as batch:
        batch.drop_column("fields")
