"""The notification outbox: notices written in the transaction of the event that caused them,
delivered afterwards (in-app inbox, SMTP, webhooks).

Revision ID: 0027_notify_outbox
Revises: 0026_minutes_signoff
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0027_notify_outbox"
down_revision = "0026_minutes_signoff"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL, as in 0010 (tests/integration/test_schema.py).
RLS_TABLES = ("notify_outbox",)


def upgrade() -> None:
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("member", sa.String(32), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_doc", sa.JSON(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_doc", sa.JSON(), nullable=True),
        sa.Column("link", sa.String(500), nullable=False),
        sa.Column("group_key", sa.String(200), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("dispatched_at", UtcDateTime(), nullable=True, index=True),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("notify_outbox")
