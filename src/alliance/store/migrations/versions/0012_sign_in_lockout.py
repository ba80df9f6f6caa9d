"""Failed sign-ins counted per user, and a lock after too many.

Revision ID: 0012_sign_in_lockout
Revises: 0011_sessions
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store.types import UtcDateTime

revision = "0012_sign_in_lockout"
down_revision = "0011_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("failed_sign_ins", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("locked_until", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_sign_ins")
