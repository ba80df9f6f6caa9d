"""A failed settlement attempt keeps its reason as a message (template and parameters) too.

The calendar then says why a day was left open in the reader's language. Attempts recorded before
keep NULL and are shown with their English reason, as before.

Revision ID: 0019_failure_messages
Revises: 0018_unshared_days
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_failure_messages"
down_revision = "0018_unshared_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("settlement_failures") as batch:
        batch.add_column(sa.Column("reason_message", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("settlement_failures") as batch:
        batch.drop_column("reason_message")
