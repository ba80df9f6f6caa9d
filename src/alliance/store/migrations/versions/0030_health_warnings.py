"""Warning rules (versioned), alert states, firings, silences and evaluated periods (health.warnings).

Revision ID: 0030_health_warnings
Revises: 0029_health_kpis
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0030_health_warnings"
down_revision = "0029_health_kpis"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL, as in 0010 (tests/integration/test_schema.py).
RLS_TABLES = ("health_warning_rules", "health_warning_states", "health_warning_firings", "health_warning_silences",
              "health_warning_evaluations")


def _alliance() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "health_warning_rules",
        sa.Column("id", sa.Integer(), primary_key=True), _alliance(),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("alliance_id", "rule_id", "version", name="uq_health_warning_rules_version"),
    )
    op.create_table(
        "health_warning_states",
        sa.Column("id", sa.Integer(), primary_key=True), _alliance(),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("member", sa.String(32), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("run", sa.Integer(), nullable=False),
        sa.Column("clean", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("value", sa.String(60), nullable=True),
        sa.Column("firing_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("alliance_id", "rule_id", "member", name="uq_health_warning_states_alert"),
    )
    op.create_table(
        "health_warning_firings",
        sa.Column("id", sa.Integer(), primary_key=True), _alliance(),
        sa.Column("rule_id", sa.String(64), nullable=False, index=True),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("member", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(12), nullable=False),
        sa.Column("started_period", sa.Date(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_period", sa.Date(), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("silenced", sa.Boolean(), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
    )
    op.create_table(
        "health_warning_silences",
        sa.Column("id", sa.Integer(), primary_key=True), _alliance(),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("member", sa.String(32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(200), nullable=True),
    )
    op.create_table(
        "health_warning_evaluations",
        sa.Column("id", sa.Integer(), primary_key=True), _alliance(),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("evaluated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("alliance_id", "rule_id", "period", name="uq_health_warning_evaluations_period"),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    for table in reversed(RLS_TABLES):
        op.drop_table(table)
