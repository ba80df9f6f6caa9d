"""Delivering notices: each user's inbox, notification settings and preferences, webhooks of an
alliance or a member, and the delivery log of e-mails and webhook calls (retried with back-off).

Revision ID: 0028_notify_delivery
Revises: 0027_notify_outbox
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0028_notify_delivery"
down_revision = "0027_notify_outbox"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py). The account
# settings and preferences are a user's own (platform tables, like users).
RLS_TABLES = ("notify_inbox", "notify_webhooks", "notify_deliveries")


def upgrade() -> None:
    op.create_table(
        "notify_accounts",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("language", sa.String(10), nullable=False),
    )
    op.create_table(
        "notify_preferences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("user_id", "event", "channel", name="uq_notify_preferences_user_event_channel"),
    )
    op.create_table(
        "notify_inbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("outbox_id", sa.Integer(), sa.ForeignKey("notify_outbox.id"), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("member", sa.String(32), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_doc", sa.JSON(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_doc", sa.JSON(), nullable=True),
        sa.Column("link", sa.String(500), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("read_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint("user_id", "outbox_id", name="uq_notify_inbox_user_outbox"),
    )
    op.create_table(
        "notify_webhooks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("member", sa.String(32), nullable=True),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "notify_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("outbox_id", sa.Integer(), sa.ForeignKey("notify_outbox.id"), nullable=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("webhook_id", sa.Integer(), sa.ForeignKey("notify_webhooks.id"), nullable=True, index=True),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(500), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("log", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True, index=True),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    for table in ("notify_deliveries", "notify_webhooks", "notify_inbox", "notify_preferences", "notify_accounts"):
        op.drop_table(table)
