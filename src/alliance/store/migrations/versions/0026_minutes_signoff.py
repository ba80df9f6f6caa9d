"""Sign-offs of a meeting's minutes: which member signed which version of the minutes and attendance
(the SHA-256 of their canonical document), through which account, when.

Revision ID: 0026_minutes_signoff
Revises: 0025_corrections
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0026_minutes_signoff"
down_revision = "0025_corrections"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL, as in 0010 (tests/integration/test_schema.py).
RLS_TABLES = ("gov_minutes_signoffs",)


def upgrade() -> None:
    op.create_table(
        "gov_minutes_signoffs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("gov_meetings.id"), nullable=False, index=True),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("signed_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("meeting_id", "member_code", "sha256", name="uq_gov_minutes_signoffs_meeting_member_sha"),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("gov_minutes_signoffs")
