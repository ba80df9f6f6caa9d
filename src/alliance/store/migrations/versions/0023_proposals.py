"""Proposals and votes: the proposals a body decides, their attachments, ballots, proxies with
their audit trail, and the reminders sent before a vote closes; a dispute's appeal window after
its ruling.

Revision ID: 0023_proposals
Revises: 0022_disputes
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0023_proposals"
down_revision = "0022_disputes"
branch_labels = None
depends_on = None

RLS_TABLES = ("gov_proposals", "gov_proposal_attachments", "gov_ballots", "gov_vote_proxies", "gov_reminders")


def _alliance() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def _proposal() -> sa.Column:
    return sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("gov_proposals.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "gov_proposals",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), sa.ForeignKey("gov_bodies.id"), nullable=False, index=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("secrecy", sa.String(16), nullable=False),
        sa.Column("vote_changes", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("author_member", sa.String(32), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("discussion_until", UtcDateTime(), nullable=True),
        sa.Column("voting_until", UtcDateTime(), nullable=True),
        sa.Column("reminder_minutes", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("gov_meetings.id"), nullable=True),
        sa.Column("submitted_at", UtcDateTime(), nullable=True),
        sa.Column("voting_opened_at", UtcDateTime(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("implemented_at", UtcDateTime(), nullable=True),
        sa.Column("reminded_at", UtcDateTime(), nullable=True),
        sa.Column("text_sha256", sa.String(64), nullable=True),
        sa.Column("rule", sa.String(32), nullable=True),
        sa.Column("rule_params", sa.JSON(), nullable=True),
        sa.Column("electorate", sa.JSON(), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("effect", sa.JSON(), nullable=True),
        sa.UniqueConstraint("alliance_id", "number", name="uq_gov_proposals_alliance_number"),
    )
    op.create_index("ix_gov_proposals_due", "gov_proposals", ["status", "voting_until"])
    op.create_table(
        "gov_proposal_attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        _proposal(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("added_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "gov_ballots",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        _proposal(),
        sa.Column("voter", sa.String(32), nullable=False),
        sa.Column("choice", sa.String(16), nullable=False),
        sa.Column("by_member", sa.String(32), nullable=True),
        sa.Column("cast_by", sa.String(200), nullable=False),
        sa.Column("cast_at", UtcDateTime(), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
    )
    op.create_table(
        "gov_vote_proxies",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        _proposal(),
        sa.Column("giver", sa.String(32), nullable=False),
        sa.Column("holder", sa.String(32), nullable=False),
        sa.Column("given_by", sa.String(200), nullable=False),
        sa.Column("given_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_by", sa.String(200), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
    )
    op.create_table(
        "gov_reminders",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        _proposal(),
        sa.Column("member", sa.String(32), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.Column("read_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint("proposal_id", "member", name="uq_gov_reminders_proposal_member"),
    )
    row_security.enable(RLS_TABLES)
    # A ruling is followed by an appeal window (governance.effects.ruling).
    with op.batch_alter_table("disputes") as batch:
        batch.add_column(sa.Column("appeal_until", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("disputes") as batch:
        batch.drop_column("appeal_until")
    for table in reversed(RLS_TABLES):
        op.drop_table(table)
