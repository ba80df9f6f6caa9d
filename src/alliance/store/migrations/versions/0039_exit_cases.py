"""Exit cases: a member's exit with its steps, entered items and the final statement's acknowledgements.

Revision ID: 0039_exit_cases
Revises: 0038_competition
Create Date: 2026-12-05

(0038 is taken by competition screening, built in parallel; the lead renumbers on merge.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0039_exit_cases"
down_revision = "0038_competition"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py).
RLS_TABLES = ("exit_cases", "exit_steps", "exit_items", "exit_acknowledgements")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def _case() -> sa.Column:
    return sa.Column("case_id", sa.Integer(), sa.ForeignKey("exit_cases.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "exit_cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("open_member", sa.String(32), nullable=True),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("basis", sa.String(500), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint("alliance_id", "number", name="uq_exit_cases_alliance_number"),
        sa.UniqueConstraint("alliance_id", "open_member", name="uq_exit_cases_alliance_open_member"),
    )
    op.create_table(
        "exit_steps",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        _case(),
        sa.Column("step_key", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("waivable", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("case_id", "step_key", name="uq_exit_steps_case_step"),
    )
    op.create_table(
        "exit_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        _case(),
        sa.Column("step_key", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("added_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("case_id", "step_key", "number", name="uq_exit_items_case_step_number"),
    )
    op.create_table(
        "exit_acknowledgements",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        _case(),
        sa.Column("party", sa.String(16), nullable=False),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("statement_sha256", sa.String(64), nullable=False),
        sa.Column("acknowledged_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("case_id", "party", name="uq_exit_acknowledgements_case_party"),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("exit_acknowledgements")
    op.drop_table("exit_items")
    op.drop_table("exit_steps")
    op.drop_table("exit_cases")
