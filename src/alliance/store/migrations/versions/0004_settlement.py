"""Settlement: closed runs per alliance and business day, and their statement lines (postings).

Revision ID: 0004_settlement
Revises: 0003_agreements
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store.types import UtcDateTime

revision = "0004_settlement"
down_revision = "0003_agreements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('settlement_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('late_lines', sa.Integer(), nullable=False),
    sa.Column('agreements', sa.JSON(), nullable=False),
    sa.Column('closed_at', UtcDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name='fk_settlement_runs_alliance_id_alliances'),
    sa.PrimaryKeyConstraint('id', name='pk_settlement_runs'),
    sa.UniqueConstraint('alliance_id', 'day', name='uq_settlement_runs_alliance_day')
    )
    op.create_index('ix_settlement_runs_alliance_id', 'settlement_runs', ['alliance_id'], unique=False)
    op.create_table('statement_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('agreement', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('base_minor', sa.BigInteger(), nullable=False),
    sa.Column('rate', sa.String(length=200), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('adjustment_of', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name='fk_statement_lines_alliance_id_alliances'),
    sa.ForeignKeyConstraint(['run_id'], ['settlement_runs.id'], name='fk_statement_lines_run_id_settlement_runs'),
    sa.PrimaryKeyConstraint('id', name='pk_statement_lines')
    )
    op.create_index('ix_statement_lines_alliance_id', 'statement_lines', ['alliance_id'], unique=False)
    op.create_index('ix_statement_lines_run_id', 'statement_lines', ['run_id'], unique=False)


def downgrade() -> None:
    op.drop_table("statement_lines")
    op.drop_table("settlement_runs")
