"""Clean-room rules for shared views (issue 26): the aggregate functions a view allows.

The new field policies (`dimension`, `join`) live in the existing `policies` JSON column; only the
publisher's choice of functions needs a column. NULL (views published before) means `sum` only, as
those views have always answered.

Revision ID: 0050_view_functions
Revises: 0049_view_privacy
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0050_view_functions"
down_revision = "0049_view_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shared_views") as batch:
        batch.add_column(sa.Column("functions", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shared_views") as batch:
        batch.drop_column("functions")
