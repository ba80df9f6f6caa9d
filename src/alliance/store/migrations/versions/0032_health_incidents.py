"""Incidents: SOP versions and response clocks per alliance, incidents and their timeline.

Revision ID: 0032_health_incidents
Revises: 0031_health_ratings
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store import row_security
from alliance.store.types import UtcDateTime

revision = "0032_health_incidents"
down_revision = "0031_health_ratings"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL (tests/integration/test_schema.py).
RLS_TABLES = ("incident_sops", "incident_clocks", "incidents", "incident_events")


def _tenant() -> sa.Column:
    return sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "incident_sops",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("alliance_id", "kind", "version", name="uq_incident_sops_alliance_kind_version"),
    )
    op.create_table(
        "incident_clocks",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("acknowledge_minutes", sa.Integer(), nullable=False),
        sa.Column("resolve_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("alliance_id", "priority", name="uq_incident_clocks_alliance_priority"),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("title_doc", sa.JSON(), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("reporter", sa.String(200), nullable=False),
        sa.Column("reporter_member", sa.String(32), nullable=True),
        sa.Column("lead", sa.String(200), nullable=True),
        sa.Column("scribe", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("sop_version", sa.Integer(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("acknowledge_due", UtcDateTime(), nullable=False),
        sa.Column("resolve_due", UtcDateTime(), nullable=False),
        sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
        sa.Column("mitigated_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("escalated", sa.JSON(), nullable=False),
        sa.Column("review", sa.JSON(), nullable=True),
        sa.UniqueConstraint("alliance_id", "number", name="uq_incidents_alliance_number"),
    )
    op.create_table(
        "incident_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id"), nullable=False, index=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_doc", sa.JSON(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    row_security.enable(RLS_TABLES)


def downgrade() -> None:
    op.drop_table("incident_events")
    op.drop_table("incidents")
    op.drop_table("incident_clocks")
    op.drop_table("incident_sops")
