"""Row-level security on PostgreSQL: every table of member data shows only the scoped alliance.

See alliance.store.scope. A no-op on SQLite, which has no row-level security.

Revision ID: 0010_row_level_security
Revises: 0009_data_sharing
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0010_row_level_security"
down_revision = "0009_data_sharing"
branch_labels = None
depends_on = None

# Every table holding member data (all carry alliance_id; tests/integration/test_schema.py checks
# that this list stays complete).
TABLES = ("agreements", "evidence_files", "idempotency_keys", "ledger_checkpoints", "ledger_entries", "ledger_heads",
          "ledger_keys", "ledger_nodes", "members", "period_metrics", "screening_runs", "settlement_runs", "shared_views",
          "agreement_versions", "member_resources", "prospects", "statement_lines", "view_access_log",
          "agreement_signatures", "dd_items", "pilots", "prospect_events", "pilot_kpis", "kpi_measurements")
RULE = ("current_setting('alliance.scope', true) = '*' OR alliance_id IN "
        "(SELECT id FROM alliances WHERE code = current_setting('alliance.scope', true))")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")  # the owner (the platform) too
        op.execute(f"CREATE POLICY alliance_scope ON {table} USING ({RULE}) WITH CHECK ({RULE})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS alliance_scope ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
