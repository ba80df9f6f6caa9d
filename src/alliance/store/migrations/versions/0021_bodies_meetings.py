"""Governance bodies and their meetings: seats, agendas, attendance, minutes and action items.

Revision ID: 0021_bodies_meetings
Revises: 0020_alliance_lifecycle
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store.types import UtcDateTime

revision = "0021_bodies_meetings"
down_revision = "0020_alliance_lifecycle"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL, as in 0010 (tests/integration/test_schema.py).
RLS_TABLES = ("gov_bodies", "gov_seats", "gov_meetings", "gov_agenda_items", "gov_attendance", "gov_actions")
RULE = ("current_setting('alliance.scope', true) = '*' OR alliance_id IN "
        "(SELECT id FROM alliances WHERE code = current_setting('alliance.scope', true))")


def _alliance() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "gov_bodies",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("term_from", sa.Date(), nullable=False),
        sa.Column("term_to", sa.Date(), nullable=True),
        sa.Column("cadence", sa.String(32), nullable=False),
        sa.Column("meeting_time", sa.String(5), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("alliance_id", "name", name="uq_gov_bodies_alliance_name"),
    )
    op.create_table(
        "gov_seats",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        sa.Column("body_id", sa.Integer(), sa.ForeignKey("gov_bodies.id"), nullable=False, index=True),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("person", sa.String(100), nullable=True),
        sa.UniqueConstraint("body_id", "member_code", name="uq_gov_seats_body_member"),
    )
    op.create_table(
        "gov_meetings",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        sa.Column("body_id", sa.Integer(), sa.ForeignKey("gov_bodies.id"), nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("body_id", "starts_at", name="uq_gov_meetings_body_starts"),
    )
    op.create_table(
        "gov_agenda_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("gov_meetings.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("time_box", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("proposal", sa.String(64), nullable=True),
        sa.Column("minutes", sa.Text(), nullable=False),
    )
    op.create_table(
        "gov_attendance",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("gov_meetings.id"), nullable=False, index=True),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("presence", sa.String(16), nullable=False),
        sa.Column("proxy", sa.String(32), nullable=True),
        sa.UniqueConstraint("meeting_id", "member_code", name="uq_gov_attendance_meeting_member"),
    )
    op.create_table(
        "gov_actions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _alliance(),
        sa.Column("body_id", sa.Integer(), sa.ForeignKey("gov_bodies.id"), nullable=False, index=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("gov_meetings.id"), nullable=False, index=True),
        sa.Column("agenda_item_id", sa.Integer(), sa.ForeignKey("gov_agenda_items.id"), nullable=True),
        sa.Column("decision", sa.String(64), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in RLS_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY alliance_scope ON {table} USING ({RULE}) WITH CHECK ({RULE})")


def downgrade() -> None:
    for table in reversed(RLS_TABLES):
        op.drop_table(table)
