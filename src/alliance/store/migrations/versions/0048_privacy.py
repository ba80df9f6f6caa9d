"""Private set intersection of members' customer lists (issue 26): sharing levels, sessions, the
blinded messages relayed, and each member's access log. No table holds an identifier.

Revision ID: 0048_privacy
Revises: 0047_glossary
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0048_privacy"
down_revision = "0047_glossary"
branch_labels = None
depends_on = None

RLS_TABLES = ("psi_levels", "psi_sessions", "psi_messages", "psi_access_log")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "psi_levels",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("set_by", sa.String(200), nullable=False),
        sa.Column("set_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("alliance_id", "member_code", "partner_code", name="uq_psi_levels_pair"),
    )
    op.create_table(
        "psi_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("initiator", sa.String(32), nullable=False),
        sa.Column("partner", sa.String(32), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.Column("client_size", sa.Integer(), nullable=True),
        sa.Column("server_size", sa.Integer(), nullable=True),
        sa.Column("overlap", sa.Integer(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
    )
    op.create_table(
        "psi_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("psi_sessions.id"), nullable=False, index=True),
        sa.Column("seq", sa.SmallInteger(), nullable=False),
        sa.Column("sender", sa.String(32), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("posted_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("session_id", "seq", name="uq_psi_messages_seq"),
    )
    op.create_table(
        "psi_access_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("member_code", sa.String(32), nullable=False, index=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("psi_sessions.id"), nullable=False),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    for table in ("psi_access_log", "psi_messages", "psi_sessions", "psi_levels"):
        op.drop_table(table)
