"""API key scopes: a key may be limited to some of the actions its role allows.

Revision ID: 0014_key_scopes
Revises: 0013_settlement_failures
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_key_scopes"
down_revision = "0013_settlement_failures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: every action the key's role allows (every key made before scopes existed).
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("scopes", sa.String(400), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("scopes")
