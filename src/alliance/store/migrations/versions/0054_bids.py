"""Joint bids (issue 27): a consortium bid for a customer request, each member's part (role, scope,
exact price share, confirmation), its documents and its history.

Revision ID: 0054_bids
Revises: 0053_marketing
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import ExactDecimal, UtcDateTime

revision = "0054_bids"
down_revision = "0053_marketing"  # the lead relinks the chain at merge
branch_labels = None
depends_on = None

RLS_TABLES = ("bids", "bid_parts", "bid_documents", "bid_steps")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def _bid() -> sa.Column:
    return sa.Column("bid_id", sa.Integer(), sa.ForeignKey("bids.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "bids",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("lead_member", sa.String(32), nullable=False),
        sa.Column("customer", sa.String(200), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("offered_minor", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("awarded_minor", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("agreement_code", sa.String(64), nullable=True),
        sa.Column("agreement_alliance", sa.String(32), nullable=True),
        sa.Column("agreement_version", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("alliance_id", "number", name="uq_bids_alliance_number"),
    )
    op.create_table(
        "bid_parts",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        _bid(),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("member", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("share", ExactDecimal(), nullable=False),
        sa.Column("confirmed_by", sa.String(200), nullable=True),
        sa.Column("confirmed_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint("bid_id", "member", name="uq_bid_parts_member"),
    )
    op.create_table(
        "bid_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        _bid(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("added_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "bid_steps",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        _bid(),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("member", sa.String(32), nullable=False),
        sa.Column("what", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    for table in ("bid_steps", "bid_documents", "bid_parts", "bids"):
        op.drop_table(table)
