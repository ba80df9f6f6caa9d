"""A warehouse booking keeps the terms in force when it was made (prices, free days, surcharge), so
that a later price change applies to new bookings only and never re-prices a stay already agreed.
Bookings stored before keep NULL and are billed by their warehouse's terms, as they were.

Revision ID: 0055_booking_terms
Revises: 0054_bids
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0055_booking_terms"
down_revision = "0054_bids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("warehouse_bookings") as batch:
        batch.add_column(sa.Column("terms", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("warehouse_bookings") as batch:
        batch.drop_column("terms")
