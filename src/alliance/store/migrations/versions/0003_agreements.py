"""Sharing: agreements, their versions (stored whole) and the members' signatures.

Revision ID: 0003_agreements
Revises: 0002_screening
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store.types import UtcDateTime

revision = "0003_agreements"
down_revision = "0002_screening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name='fk_agreements_alliance_id_alliances'),
    sa.PrimaryKeyConstraint('id', name='pk_agreements'),
    sa.UniqueConstraint('alliance_id', 'code', name='uq_agreements_alliance_code')
    )
    op.create_index('ix_agreements_alliance_id', 'agreements', ['alliance_id'], unique=False)
    op.create_table('agreement_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_until', sa.Date(), nullable=True),
    sa.Column('parties', sa.JSON(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('canonical', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('proposed_by', sa.String(length=100), nullable=False),
    sa.Column('proposed_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name='fk_agreement_versions_agreement_id_agreements'),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name='fk_agreement_versions_alliance_id_alliances'),
    sa.PrimaryKeyConstraint('id', name='pk_agreement_versions'),
    sa.UniqueConstraint('agreement_id', 'version', name='uq_agreement_versions_agreement_version')
    )
    op.create_index('ix_agreement_versions_agreement_id', 'agreement_versions', ['agreement_id'], unique=False)
    op.create_index('ix_agreement_versions_alliance_id', 'agreement_versions', ['alliance_id'], unique=False)
    op.create_table('agreement_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('member_code', sa.String(length=32), nullable=False),
    sa.Column('signer', sa.String(length=100), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliances.id'], name='fk_agreement_signatures_alliance_id_alliances'),
    sa.ForeignKeyConstraint(['version_id'], ['agreement_versions.id'], name='fk_agreement_signatures_version_id_agreement_versions'),
    sa.PrimaryKeyConstraint('id', name='pk_agreement_signatures'),
    sa.UniqueConstraint('version_id', 'member_code', name='uq_agreement_signatures_version_member')
    )
    op.create_index('ix_agreement_signatures_alliance_id', 'agreement_signatures', ['alliance_id'], unique=False)
    op.create_index('ix_agreement_signatures_version_id', 'agreement_signatures', ['version_id'], unique=False)


def downgrade() -> None:
    op.drop_table("agreement_signatures")
    op.drop_table("agreement_versions")
    op.drop_table("agreements")
