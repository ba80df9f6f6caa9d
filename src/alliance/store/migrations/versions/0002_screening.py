"""Screening: saved runs, prospects, their stage history, due diligence with evidence, pilots and KPIs.

Revision ID: 0002_screening
Revises: 0001_registry
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store.types import ExactDecimal, UtcDateTime

revision = "0002_screening"
down_revision = "0001_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evidence_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name='fk_evidence_files_alliance_id_alliances'),
    sa.PrimaryKeyConstraint('id', name='pk_evidence_files'),
    sa.UniqueConstraint('alliance_id', 'sha256', name='uq_evidence_files_alliance_sha256')
    )
    op.create_index('ix_evidence_files_alliance_id', 'evidence_files', ['alliance_id'], unique=False)
    op.create_table('screening_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('candidate_count', sa.Integer(), nullable=False),
    sa.Column('inputs_sha256', sa.String(length=64), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name='fk_screening_runs_alliance_id_alliances'),
    sa.PrimaryKeyConstraint('id', name='pk_screening_runs')
    )
    op.create_index('ix_screening_runs_alliance_id', 'screening_runs', ['alliance_id'], unique=False)
    op.create_table('prospects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('source', sa.String(length=24), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('screening_run_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name='fk_prospects_alliance_id_alliances'),
    sa.ForeignKeyConstraint(['screening_run_id'], ['screening_runs.id'], name='fk_prospects_screening_run_id_screening_runs'),
    sa.PrimaryKeyConstraint('id', name='pk_prospects'),
    sa.UniqueConstraint('alliance_id', 'name', name='uq_prospects_alliance_name')
    )
    op.create_index('ix_prospects_alliance_id', 'prospects', ['alliance_id'], unique=False)
    op.create_table('dd_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('prospect_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('waiver_reason', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('evidence_name', sa.String(length=255), nullable=True),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name='fk_dd_items_alliance_id_alliances'),
    sa.ForeignKeyConstraint(['prospect_id'], ['prospects.id'], name='fk_dd_items_prospect_id_prospects'),
    sa.PrimaryKeyConstraint('id', name='pk_dd_items')
    )
    op.create_index('ix_dd_items_alliance_id', 'dd_items', ['alliance_id'], unique=False)
    op.create_index('ix_dd_items_prospect_id', 'dd_items', ['prospect_id'], unique=False)
    op.create_table('pilots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('prospect_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('cadence', sa.String(length=16), nullable=False),
    sa.Column('decision', sa.String(length=8), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decided_at', UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name='fk_pilots_alliance_id_alliances'),
    sa.ForeignKeyConstraint(['prospect_id'], ['prospects.id'], name='fk_pilots_prospect_id_prospects'),
    sa.PrimaryKeyConstraint('id', name='pk_pilots'),
    sa.UniqueConstraint('prospect_id', name='uq_pilots_prospect_id')
    )
    op.create_index('ix_pilots_alliance_id', 'pilots', ['alliance_id'], unique=False)
    op.create_table('prospect_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('prospect_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=16), nullable=True),
    sa.Column('to_stage', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('at', UtcDateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name='fk_prospect_events_alliance_id_alliances'),
    sa.ForeignKeyConstraint(['prospect_id'], ['prospects.id'], name='fk_prospect_events_prospect_id_prospects'),
    sa.PrimaryKeyConstraint('id', name='pk_prospect_events')
    )
    op.create_index('ix_prospect_events_alliance_id', 'prospect_events', ['alliance_id'], unique=False)
    op.create_index('ix_prospect_events_prospect_id', 'prospect_events', ['prospect_id'], unique=False)
    op.create_table('pilot_kpis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('target', ExactDecimal(), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name='fk_pilot_kpis_alliance_id_alliances'),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilots.id'], name='fk_pilot_kpis_pilot_id_pilots'),
    sa.PrimaryKeyConstraint('id', name='pk_pilot_kpis'),
    sa.UniqueConstraint('pilot_id', 'name', name='uq_pilot_kpis_pilot_name')
    )
    op.create_index('ix_pilot_kpis_alliance_id', 'pilot_kpis', ['alliance_id'], unique=False)
    op.create_index('ix_pilot_kpis_pilot_id', 'pilot_kpis', ['pilot_id'], unique=False)
    op.create_table('kpi_measurements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('measured_on', sa.Date(), nullable=False),
    sa.Column('value', ExactDecimal(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name='fk_kpi_measurements_alliance_id_alliances'),
    sa.ForeignKeyConstraint(['kpi_id'], ['pilot_kpis.id'], name='fk_kpi_measurements_kpi_id_pilot_kpis'),
    sa.PrimaryKeyConstraint('id', name='pk_kpi_measurements'),
    sa.UniqueConstraint('kpi_id', 'measured_on', name='uq_kpi_measurements_kpi_measured_on')
    )
    op.create_index('ix_kpi_measurements_alliance_id', 'kpi_measurements', ['alliance_id'], unique=False)
    op.create_index('ix_kpi_measurements_kpi_id', 'kpi_measurements', ['kpi_id'], unique=False)


def downgrade() -> None:
    op.drop_table("kpi_measurements")
    op.drop_table("pilot_kpis")
    op.drop_table("prospect_events")
    op.drop_table("pilots")
    op.drop_table("dd_items")
    op.drop_table("prospects")
    op.drop_table("screening_runs")
    op.drop_table("evidence_files")
