"""Signatures name the account that signed; powers of attorney a member gives for signing.

A signature made before this revision has no account (NULL): it was recorded with a typed name
only. Later ones name the authenticated user or API key (`user:NAME`, `key:PREFIX`), its display
name, and the power of attorney it signed under, if any.

Revision ID: 0016_signatures
Revises: 0015_run_watermarks
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from alliance.store.types import UtcDateTime

revision = "0016_signatures"
down_revision = "0015_run_watermarks"
branch_labels = None
depends_on = None

# Member data: row-level security on PostgreSQL, as in 0010 (tests/integration/test_schema.py).
RLS_TABLES = ("powers_of_attorney",)
RULE = ("current_setting('alliance.scope', true) = '*' OR alliance_id IN "
        "(SELECT id FROM alliances WHERE code = current_setting('alliance.scope', true))")


def upgrade() -> None:
    op.create_table(
        "powers_of_attorney",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alliance_id", sa.Integer(), sa.ForeignKey("alliances.id"), nullable=False, index=True),
        sa.Column("member_code", sa.String(32), nullable=False),
        sa.Column("grantee", sa.String(200), nullable=False),
        sa.Column("power", sa.String(32), nullable=False),
        sa.Column("granted_by", sa.String(200), nullable=False),
        sa.Column("granted_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_by", sa.String(200), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
    )
    with op.batch_alter_table("agreement_signatures") as batch:
        batch.add_column(sa.Column("account", sa.String(200), nullable=True))
        batch.add_column(sa.Column("account_name", sa.String(100), nullable=True))
        batch.add_column(sa.Column("attorney_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_agreement_signatures_attorney_id_powers_of_attorney", "powers_of_attorney",
                                 ["attorney_id"], ["id"])
    if op.get_bind().dialect.name == "postgresql":
        for table in RLS_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY alliance_scope ON {table} USING ({RULE}) WITH CHECK ({RULE})")


def downgrade() -> None:
    with op.batch_alter_table("agreement_signatures") as batch:
        batch.drop_constraint("fk_agreement_signatures_attorney_id_powers_of_attorney", type_="foreignkey")
        batch.drop_column("attorney_id")
        batch.drop_column("account_name")
        batch.drop_column("account")
    op.drop_table("powers_of_attorney")
