"""Settlement runs keep why a day with order lines closed with nothing shared.

A day with order lines and no agreement in force closes only when whoever settles it confirms that
nothing will be shared; the run keeps the reason, so the day's page can say so for good. Runs made
before keep NULL (their pages derive the reason from their lines and agreements).

Revision ID: 0018_unshared_days
Revises: 0017_password_resets
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_unshared_days"
down_revision = "0017_password_resets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("settlement_runs") as batch:
        batch.add_column(sa.Column("unshared_reason", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("settlement_runs") as batch:
        batch.drop_column("unshared_reason")
